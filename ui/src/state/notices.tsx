// Short messages about things that happened in the background: a connection made, a sync
// that failed, a file written. Successes fade after a while; problems stay until dismissed.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { AppError } from '../bindings/AppError';

export interface Notice {
  id: number;
  tone: 'success' | 'info' | 'warn' | 'error';
  title: string;
  message?: string | null;
  /** Technical detail, behind a toggle. */
  detail?: string | null;
  /** Text the person may want to copy (a file path). */
  code?: string | null;
}

export type NewNotice = Omit<Notice, 'id'>;

interface NoticeApi {
  notices: Notice[];
  push: (n: NewNotice) => number;
  pushError: (title: string, e: AppError) => number;
  dismiss: (id: number) => void;
}

const NoticeContext = createContext<NoticeApi | null>(null);

const FADE_MS = 8000;
const MAX_SHOWN = 4;

export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: number) => {
    const t = timers.current.get(id);
    if (t) clearTimeout(t);
    timers.current.delete(id);
    setNotices((list) => list.filter((n) => n.id !== id));
  }, []);

  const push = useCallback(
    (n: NewNotice) => {
      const id = nextId.current++;
      setNotices((list) => [...list, { ...n, id }].slice(-MAX_SHOWN));
      if (n.tone === 'success' || n.tone === 'info') {
        timers.current.set(
          id,
          setTimeout(() => dismiss(id), FADE_MS),
        );
      }
      return id;
    },
    [dismiss],
  );

  const pushError = useCallback(
    (title: string, e: AppError) => push({ tone: 'error', title, message: e.message, detail: e.detail }),
    [push],
  );

  useEffect(() => {
    const map = timers.current;
    return () => {
      for (const t of map.values()) clearTimeout(t);
      map.clear();
    };
  }, []);

  const api = useMemo(() => ({ notices, push, pushError, dismiss }), [notices, push, pushError, dismiss]);
  return <NoticeContext.Provider value={api}>{children}</NoticeContext.Provider>;
}

export function useNotices(): NoticeApi {
  const api = useContext(NoticeContext);
  if (!api) throw new Error('useNotices must be used inside <NoticeProvider>');
  return api;
}
