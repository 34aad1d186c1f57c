import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef } from 'react';
import type { Backend } from './backend/types';
import { BackendProvider } from './backend/context';
import { Loading } from './components/Feedback';
import { Banners } from './components/Banners';
import { Notices } from './components/Notices';
import { ChannelPicker } from './components/ChannelPicker';
import { TenantPicker } from './components/TenantPicker';
import { formatRelative } from './lib/format';
import { href, useRoute, type Route } from './router';
import { LiveProvider, useLive } from './state/live';
import { NoticeProvider } from './state/notices';
import { useActivity, useConnections } from './state/queries';
import { UpdatesProvider } from './state/updates';
import { IntegrationsPage } from './pages/Integrations';

// Pages other than the first are loaded when first opened, so the window starts fast.
const ConnectionPage = lazy(() => import('./pages/Connection').then((m) => ({ default: m.ConnectionPage })));
const EmissionsPage = lazy(() => import('./pages/Emissions').then((m) => ({ default: m.EmissionsPage })));
const ReviewPage = lazy(() => import('./pages/Review').then((m) => ({ default: m.ReviewPage })));
const ReportPage = lazy(() => import('./pages/Report').then((m) => ({ default: m.ReportPage })));
const CloudPage = lazy(() => import('./pages/Cloud').then((m) => ({ default: m.CloudPage })));
const NotificationsPage = lazy(() => import('./pages/Notifications').then((m) => ({ default: m.NotificationsPage })));
const SettingsPage = lazy(() => import('./pages/Settings').then((m) => ({ default: m.SettingsPage })));

export function App({ backend, queryClient }: { backend: Backend; queryClient: QueryClient }) {
  return (
    <BackendProvider backend={backend}>
      <QueryClientProvider client={queryClient}>
        <NoticeProvider>
          <LiveProvider>
            <UpdatesProvider>
              <Shell />
            </UpdatesProvider>
          </LiveProvider>
        </NoticeProvider>
      </QueryClientProvider>
    </BackendProvider>
  );
}

const NAV: { page: 'integrations' | 'emissions' | 'review' | 'report' | 'cloud' | 'notifications' | 'settings'; label: string }[] = [
  { page: 'integrations', label: 'Integrations' },
  { page: 'emissions', label: 'Emissions' },
  { page: 'review', label: 'Review' },
  { page: 'report', label: 'Report' },
  { page: 'cloud', label: 'Cloud' },
  { page: 'notifications', label: 'Notifications' },
  { page: 'settings', label: 'Settings' },
];

function Shell() {
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  const routeKey =
    route.page === 'connection'
      ? `c${route.id}`
      : route.page === 'review' && route.entryId !== undefined
        ? `e${route.entryId}`
        : route.page;

  // After a page change, put focus at the top of the new page for keyboard and screen-reader users.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
    mainRef.current?.scrollTo?.({ top: 0 });
  }, [routeKey]);

  const active = route.page === 'connection' ? 'integrations' : route.page;
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <Logo />
          <span>CarbonSync</span>
        </div>
        <ul className="nav-list">
          {NAV.map((n) => (
            <li key={n.page}>
              <a
                href={href({ page: n.page } as Route)}
                className={active === n.page ? 'nav-item active' : 'nav-item'}
                aria-current={active === n.page ? 'page' : undefined}
                data-testid={`nav-${n.page}`}
              >
                <NavIcon page={n.page} />
                {n.label}
              </a>
            </li>
          ))}
        </ul>
        <SyncFooter />
      </nav>
      <main className="main" id="main" ref={mainRef} tabIndex={-1}>
        {/* Questions and news that concern every page; none of them stops anything else. */}
        <Banners />
        <Suspense fallback={<Loading />}>
          {route.page === 'integrations' && <IntegrationsPage />}
          {route.page === 'connection' && <ConnectionPage id={route.id} />}
          {route.page === 'emissions' && <EmissionsPage />}
          {route.page === 'review' && <ReviewPage entryId={route.entryId} />}
          {route.page === 'report' && <ReportPage />}
          {/* A link to other rows opens the page anew at them. */}
          {route.page === 'cloud' && <CloudPage key={href(route)} view={route.view} />}
          {route.page === 'notifications' && <NotificationsPage add={route.add} />}
          {route.page === 'settings' && <SettingsPage />}
        </Suspense>
      </main>
      <Notices />
      <TenantPicker />
      <ChannelPicker />
    </div>
  );
}

/** Where syncing stands, and a way to sync everything, always in view. */
function SyncFooter() {
  const connections = useConnections().data ?? [];
  const activity = useActivity().data ?? [];
  const { syncNow } = useLive();
  const active = connections.filter((c) => c.status === 'active');
  if (active.length === 0) return <div className="sidebar-footer muted small">Nothing connected yet</div>;
  const last = active
    .map((c) => c.last_sync_at)
    .filter((x): x is string => Boolean(x))
    .sort()
    .at(-1);
  const busy = activity.length > 0;
  return (
    <div className="sidebar-footer">
      <p className="small muted" aria-live="polite">
        {busy ? `Syncing ${activity.length} of ${active.length}…` : `Last sync ${formatRelative(last ?? null)}`}
      </p>
      <button type="button" className="button small" onClick={() => void syncNow(null)} disabled={busy}>
        Sync all
      </button>
    </div>
  );
}

function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" className="logo">
      <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M7 13.5c2.5-5 7-6.5 10-6.5-0.5 3-2 7.5-7 10" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  );
}

function NavIcon({ page }: { page: string }) {
  const common = { width: 18, height: 18, viewBox: '0 0 24 24', 'aria-hidden': true, fill: 'none', stroke: 'currentColor', strokeWidth: 1.8, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const };
  switch (page) {
    case 'integrations':
      return (
        <svg {...common}>
          <rect x="3" y="3" width="7" height="7" rx="1.5" />
          <rect x="14" y="3" width="7" height="7" rx="1.5" />
          <rect x="3" y="14" width="7" height="7" rx="1.5" />
          <path d="M17.5 14v7M14 17.5h7" />
        </svg>
      );
    case 'emissions':
      return (
        <svg {...common}>
          <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
        </svg>
      );
    case 'review':
      return (
        <svg {...common}>
          <path d="M9 6h11M9 12h11M9 18h11" />
          <path d="M3.5 6l1.2 1.2L7 5M3.5 12l1.2 1.2L7 11M3.5 18l1.2 1.2L7 17" />
        </svg>
      );
    case 'report':
      return (
        <svg {...common}>
          <path d="M6 3h9l4 4v14H6z" />
          <path d="M14 3v5h5M9 17v-3M12 17v-6M15 17v-4" />
        </svg>
      );
    case 'cloud':
      return (
        <svg {...common}>
          <path d="M7 18h10.5a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.4 9.6 4.2 4.2 0 0 0 7 18z" />
        </svg>
      );
    case 'notifications':
      return (
        <svg {...common}>
          <path d="M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z" />
          <path d="M10 20.5a2 2 0 0 0 4 0" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="12" cy="12" r="3" />
          <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
        </svg>
      );
  }
}
