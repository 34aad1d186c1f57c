import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { Connection } from '../bindings/Connection';
import { useBackend } from '../backend/context';
import { useNotices } from '../state/notices';
import { usePlatforms, useRefreshData } from '../state/queries';
import { Dialog } from './Dialog';
import { ErrorView } from './ErrorView';

/** Asks before disconnecting, and whether the synced data goes too. */
export function DisconnectDialog({
  connection,
  onClose,
  onDone,
}: {
  connection: Connection;
  onClose: () => void;
  onDone?: (deleted: boolean) => void;
}) {
  const backend = useBackend();
  const refresh = useRefreshData();
  const { push } = useNotices();
  const [deleteData, setDeleteData] = useState(false);
  const platform = usePlatforms().name(connection.provider);

  const m = useMutation({
    mutationFn: () => backend.disconnect(connection.id, deleteData),
    onSuccess: (warning) => {
      refresh();
      push({
        tone: 'success',
        title: `Disconnected ${connection.tenant_name}`,
        message: deleteData ? 'Its synced data and sync history were deleted.' : 'Its synced data is kept and still counts in the emissions.',
      });
      if (warning) push({ tone: 'warn', title: `${platform} was not told`, message: warning });
      onDone?.(deleteData);
      onClose();
    },
  });

  return (
    <Dialog
      title={`Disconnect ${connection.tenant_name}?`}
      onClose={onClose}
      testId="disconnect-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={m.isPending}>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            onClick={() => m.mutate()}
            disabled={m.isPending}
            data-testid="confirm-disconnect"
          >
            {m.isPending ? 'Disconnecting…' : deleteData ? 'Disconnect and delete data' : 'Disconnect'}
          </button>
        </>
      }
    >
      <p>
        CarbonSync stops syncing {connection.tenant_name}, asks {platform} to withdraw its access, and removes its
        sign-in from this computer's keychain.
      </p>
      <label className="check">
        <input
          type="checkbox"
          checked={deleteData}
          onChange={(e) => setDeleteData(e.target.checked)}
          data-testid="delete-data"
        />
        <span>
          Also delete synced data
          <span className="hint">
            Removes its records, ledger entries and sync history from this computer. Its emissions will no longer appear
            in any total. This cannot be undone.
          </span>
        </span>
      </label>
      {m.isError && <ErrorView error={m.error} title="The connection could not be disconnected" compact />}
    </Dialog>
  );
}
