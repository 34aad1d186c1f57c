// Updates, shared by the notice at the top of the window and the Settings page: one check
// (asked once at start when an update endpoint is set, then only when the person asks), one
// install (only on the person's click), its download's progress, and whether the person
// put the notice off for this session.

import { useMutation, useQuery, type UseMutationResult, type UseQueryResult } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useBackend } from '../backend/context';
import type { UpdateCheck, UpdateInstalled, UpdateProgress } from '../backend/types';
import { keys, useSettings } from './queries';

export interface Updates {
  /** An update endpoint is set (`false` also while the settings are still being read). */
  on: boolean;
  /** The last check. */
  check: UseQueryResult<UpdateCheck>;
  /** The install of a version (its variable), started only by the person. */
  install: UseMutationResult<UpdateInstalled, unknown, string>;
  /** How far the download of the install under way got (null before its first piece). */
  progress: UpdateProgress | null;
  /** The person chose "Later": the notice stays hidden for this session, unless they check again. */
  dismissed: boolean;
  later: () => void;
  /** Checks again, shows the notice again, and forgets an install that failed. */
  checkAgain: () => void;
}

const UpdatesContext = createContext<Updates | null>(null);

export function UpdatesProvider({ children }: { children: ReactNode }) {
  const backend = useBackend();
  const settings = useSettings();
  const on = Boolean(settings.data?.update_endpoint);
  const check = useQuery({
    queryKey: keys.updateCheck,
    queryFn: () => backend.checkForUpdate(),
    // Once at start; again only when the person asks. A failure waits for them too.
    enabled: on,
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
    refetchOnMount: false,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
  const [progress, setProgress] = useState<UpdateProgress | null>(null);
  const install = useMutation({
    mutationFn: (version: string) => backend.installUpdate(version),
    onMutate: () => setProgress(null),
  });
  const [dismissed, setDismissed] = useState(false);

  useEffect(() => backend.on('update-progress', setProgress), [backend]);

  const { refetch } = check;
  const { reset, isError: installFailed } = install;
  const checkAgain = useCallback(() => {
    if (installFailed) reset();
    setDismissed(false);
    void refetch();
  }, [installFailed, reset, refetch]);
  const later = useCallback(() => setDismissed(true), []);

  const value = useMemo(
    () => ({ on, check, install, progress, dismissed, later, checkAgain }),
    [on, check, install, progress, dismissed, later, checkAgain],
  );
  return <UpdatesContext.Provider value={value}>{children}</UpdatesContext.Provider>;
}

export function useUpdates(): Updates {
  const u = useContext(UpdatesContext);
  if (!u) throw new Error('useUpdates outside UpdatesProvider');
  return u;
}
