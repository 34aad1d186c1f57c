// The window's pages, addressed by the part of the URL after `#`, so Back and Forward work
// and a page can be linked to: #/integrations, #/connections/3, #/emissions, #/cloud,
// #/review (#/review/entry/12 opens one entry with everything behind its number), #/report
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
  | { page: 'cloud' }
  | { page: 'notifications'; add?: DestinationPlatform }
  | { page: 'settings' };

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
    case 'cloud':
      return { page: 'cloud' };
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

export function href(route: Route): string {
  switch (route.page) {
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
