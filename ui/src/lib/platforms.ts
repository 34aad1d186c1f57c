// What the application says about its platforms (`list_providers`), looked up by id: each
// platform's name and the record streams its connector reads. The window keeps no list of
// platforms of its own, so a platform the application adds is named right without a change here.

import type { ProviderView } from '../bindings/ProviderView';

/** The platforms of one `list_providers` answer, for naming them and their streams. */
export interface Platforms {
  /** The platform's name (`xero` → `Xero`); its id when the list does not have it (or has not arrived yet). */
  name(id: string): string;
  /**
   * A stream's name in words (`bank_transactions` → `Bank transactions`): the label `platform`
   * gives it, else the label any platform gives a stream of that name, else the name with
   * its underscores as spaces (`expense_claims` → `Expense claims`).
   */
  streamLabel(stream: string, platform?: string): string;
  /** A stream's word for a narrow column (`Bank`), found as [`streamLabel`] is; its label when none. */
  streamShort(stream: string, platform?: string): string;
  /** One record of a stream (`Bank transaction`), found as [`streamLabel`] is. */
  streamSingular(stream: string, platform?: string): string;
  /**
   * Where `stream` comes in the order `platform`'s connector reads its streams (0 first), or
   * `Infinity` when the platform does not list it: for sorting a connection's streams.
   */
  streamOrder(stream: string, platform: string): number;
  /**
   * The platforms that can be connected today to read from, in the list's order: not the
   * chat platforms reports and alerts are sent to (see `isDestinationPlatform`).
   */
  readonly available: ReadonlyArray<ProviderView>;
}

/** A lookup over `providers`; `undefined` (not loaded yet) gives one that knows no platform. */
export function platformsFrom(providers: ReadonlyArray<ProviderView> | undefined): Platforms {
  const list = providers ?? [];
  const byId = new Map(list.map((p) => [p.id, p]));
  // The platform's own stream of that name, else any platform's.
  const find = (stream: string, platform?: string) => {
    const own = platform === undefined ? undefined : byId.get(platform)?.streams.find((s) => s.name === stream);
    if (own) return own;
    for (const p of list) {
      const s = p.streams.find((x) => x.name === stream);
      if (s) return s;
    }
    return undefined;
  };
  return {
    name: (id) => byId.get(id)?.name ?? id,
    streamLabel: (stream, platform) => find(stream, platform)?.label ?? streamWords(stream),
    streamShort: (stream, platform) => find(stream, platform)?.short ?? streamWords(stream),
    streamSingular: (stream, platform) => find(stream, platform)?.singular ?? streamWords(stream),
    streamOrder(stream, platform) {
      const i = byId.get(platform)?.streams.findIndex((s) => s.name === stream) ?? -1;
      return i < 0 ? Infinity : i;
    },
    available: list.filter((p) => p.available && !isDestinationPlatform(p)),
  };
}

/**
 * Whether CarbonSync sends to the platform (Slack, Microsoft Teams: chat, where the monthly
 * report and alerts go) rather than reads from it: the catalogue's communication platforms.
 */
export function isDestinationPlatform(p: Pick<ProviderView, 'category'>): boolean {
  return p.category === 'communication';
}

/** A stream name the application has not labelled, in words: `expense_claims` → `Expense claims`. */
export function streamWords(stream: string): string {
  return stream.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/**
 * Names joined as a sentence says them: `Xero`, `Xero or Acme Books`,
 * `Xero, Acme Books or Ledgerline`.
 */
export function orList(names: ReadonlyArray<string>): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/**
 * The letters of a platform's tile, from its name, at most three: each word's first letter
 * and the capitals inside it (`Xero` → `X`, `QuickBooks Online` → `QBO`, `Acme Books` →
 * `AB`), a short all-capitals word whole (`AWS`). Upper case; words of digits only are
 * left out unless nothing else is there; `?` for a name with no letter or digit.
 */
export function monogram(name: string): string {
  const words = name.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const lettered = words.filter((w) => /\p{L}/u.test(w));
  const letters = (lettered.length > 0 ? lettered : words).map((w) =>
    /^[\p{Lu}\p{N}]{2,3}$/u.test(w) ? w : w[0]! + [...w.matchAll(/(?<=\p{Ll})\p{Lu}/gu)].map((m) => m[0]).join(''),
  );
  const out = letters.join('').toUpperCase().slice(0, 3);
  return out || '?';
}

/**
 * The colours a tile can have. The tile draws its own background with white letters on
 * it, which have a contrast of at least 5:1 on each of these (more than WCAG AA asks of
 * small text), so one set serves the light and the dark theme alike.
 */
export const MARK_COLOURS = [
  '#1F6FB2',
  '#0E7C66',
  '#6B4FBB',
  '#B3452E',
  '#8A5A00',
  '#2F7A3A',
  '#A3356E',
  '#4A5A8C',
] as const;

/** A platform's tile colour: one of `MARK_COLOURS`, the same for an id on every start (an FNV-1a hash of the id). */
export function markColour(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return MARK_COLOURS[h % MARK_COLOURS.length]!;
}
