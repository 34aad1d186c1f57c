import { render } from '@testing-library/react';
import { App } from '../App';
import { FakeBackend, type FakeBackendOptions } from '../backend/fake';
import type { Backend } from '../backend/types';
import { createQueryClient } from '../state/queries';

/** The whole window over a FakeBackend, opened at `hash`. */
export function renderApp(options: FakeBackendOptions & { hash?: string; backend?: Backend } = {}) {
  const { hash = '#/integrations', backend: given, ...fakeOptions } = options;
  const backend = given ?? new FakeBackend({ entriesPerOrg: 300, now: Date.parse('2025-01-15T12:00:00Z'), ...fakeOptions });
  window.location.hash = hash;
  const queryClient = createQueryClient();
  const view = render(<App backend={backend} queryClient={queryClient} />);
  return { ...view, backend, queryClient };
}
