import type { ReactNode } from 'react';
import type { Tone } from '../lib/labels';

export function Badge({ tone, children, title }: { tone: Tone | 'sandbox'; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** Marks anything that runs on the built-in sandbox rather than the real platform. */
export function SandboxBadge() {
  return (
    <Badge tone="sandbox" title="Runs against CarbonSync's built-in sandbox, not the real platform: its data is generated sample data.">
      Sandbox
    </Badge>
  );
}
