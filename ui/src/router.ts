// The window's pages, addressed by the part of the URL after `#`, so Back and Forward work
// and a page can be linked to: #/integrations, #/connections/3, #/emissions, #/cloud
// (#/cloud?connection=4&from=2024-01-01&to=2024-12-31&scope=2 opens at one connection's rows
// of those months and that scope), #/review (#/review/entry/12 opens one entry with everything behind its number), #/report
// (the greenhouse-gas inventory of a period, its closes and changes after close),
// #/notifications (#/notifications/add/teams opens at the form that adds a Teams workflow),
// #/settings.

import { useSyncExternalStore } from 'react';

export type Route =
  | { page: 'integrations' }
  | { page: 'connection'; id: number }
  | { page: 'emissions' }
  | { page: 'review'; entryId?: number }
  | { page: 'report' }
  | { page: 'cloud'; view?: CloudView }
  | { page: 'notifications'; add?: DestinationPlatform }
  | { page: 'settings' };

/** What the Cloud page opens at: the rows of one connection (or all), some months, one scope. */
export interface CloudView {
  connectionId: number | null;
  /** Inclusive `YYYY-MM-DD` (the Cloud page compares months). */
  from: string | null;
  to: string | null;
  /** The scope as the platform published it. */
  scope: number | null;
}

/** The platforms reports and alerts are sent to. */
export type DestinationPlatform = 'slack' | 'teams';

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'emissions':
      return { page: 'emissions' };
    case 'review': {
      const id = Number(parts[2]);
      return parts[1] === 'entry' && Number.isInteger(id) && id > 0 ? { page: 'review', entryId: id } : { page: 'review' };
    }
    case 'report':
      return { page: 'report' };
    case 'cloud': {
      const view = cloudView(hash.split('?')[1] ?? '');
      return view ? { page: 'cloud', view } : { page: 'cloud' };
    }
    case 'settings':
      return { page: 'settings' };
    case 'notifications':
      return parts[1] === 'add' && (parts[2] === 'slack' || parts[2] === 'teams')
        ? { page: 'notifications', add: parts[2] }
        : { page: 'notifications' };
    case 'connections': {
      const id = Number(parts[1]);
      if (Number.isInteger(id) && id > 0) return { page: 'connection', id };
      return { page: 'integrations' };
    }
    default:
      return { page: 'integrations' };
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The Cloud page's view from the URL's query (`connection=4&from=…&to=…&scope=2`); nothing of it left out when wrong. */
function cloudView(query: string): CloudView | undefined {
  const q = new URLSearchParams(query);
  const id = Number(q.get('connection'));
  const scope = Number(q.get('scope'));
  const from = q.get('from');
  const to = q.get('to');
  const view: CloudView = {
    connectionId: Number.isInteger(id) && id > 0 ? id : null,
    from: from !== null && DAY.test(from) ? from : null,
    to: to !== null && DAY.test(to) ? to : null,
    scope: [1, 2, 3].includes(scope) ? scope : null,
  };
  return Object.values(view).some((v) => v !== null) ? view : undefined;
}

export function href(route: Route): string {
  switch (route.page) {
    case 'cloud': {
      const v = route.view;
      const q = new URLSearchParams();
      if (v?.connectionId != null) q.set('connection', String(v.connectionId));
      if (v?.from) q.set('from', v.from);
      if (v?.to) q.set('to', v.to);
      if (v?.scope != null) q.set('scope', String(v.scope));
      const query = q.toString();
      return query ? `#/cloud?${query}` : '#/cloud';
    }
    case 'connection':
      return `#/connections/${route.id}`;
    case 'review':
      return route.entryId !== undefined ? `#/review/entry/${route.entryId}` : '#/review';
    case 'notifications':
      return route.add ? `#/notifications/add/${route.add}` : '#/notifications';
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route).slice(1);
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash, () => '');
  return parseRoute(hash);
}
