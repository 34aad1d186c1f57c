import { useState } from 'react';
import type { ChannelOption } from '../bindings/ChannelOption';
import { useLive } from '../state/live';
import { usePlatforms } from '../state/queries';
import { Dialog } from './Dialog';

/** Channels the app is in first (it can post there at once), then the others; each group as listed. */
export function membersFirst(channels: ReadonlyArray<ChannelOption>): ChannelOption[] {
  return [...channels.filter((c) => c.is_member), ...channels.filter((c) => !c.is_member)];
}

/** After a Slack sign-in: which channel the monthly report and the alerts go to. */
export function ChannelPicker() {
  const { channelChoice: choice, chooseChannel, cancelChannelChoice } = useLive();
  const [picked, setPicked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const platforms = usePlatforms();
  if (!choice) return null;
  const channels = membersFirst(choice.channels);
  const selected =
    picked && channels.some((c) => c.id === picked) ? picked : (channels.find((c) => c.is_member) ?? channels[0])?.id ?? null;
  const selectedChannel = channels.find((c) => c.id === selected);
  const platform = platforms.name(choice.provider);

  const submit = async () => {
    if (!selected) return;
    setBusy(true);
    await chooseChannel(selected);
    setBusy(false);
    setPicked(null);
  };

  return (
    <Dialog
      title={`Which ${platform} channel?`}
      testId="channel-picker"
      onClose={() => void cancelChannelChoice()}
      initialFocus="input[type=radio]:checked"
      footer={
        <>
          <button type="button" className="button" onClick={() => void cancelChannelChoice()} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="button primary"
            onClick={() => void submit()}
            disabled={!selected || busy}
            data-testid="confirm-channel"
          >
            {busy ? 'Adding…' : 'Send reports here'}
          </button>
        </>
      }
    >
      <p>
        CarbonSync is signed in to the {choice.workspace} workspace. Choose the channel where the monthly report and
        sync alerts are posted; you can change what it receives afterwards.
      </p>
      {channels.length === 0 ? (
        <p className="callout warn" data-testid="no-channels">
          The app cannot see any channel in {choice.workspace}. In {platform}, invite it to a channel (type{' '}
          <code>/invite</code> in the channel and choose the app), then connect again.
        </p>
      ) : (
        <fieldset className="choice-list">
          <legend className="visually-hidden">Channels</legend>
          {channels.map((c) => (
            <label key={c.id} className="choice" data-testid={`channel-${c.id}`}>
              <input
                type="radio"
                name="channel"
                value={c.id}
                checked={selected === c.id}
                onChange={() => setPicked(c.id)}
              />
              <span>
                #{c.name}
                {c.is_private && <span className="tag">Private</span>}
                {!c.is_member && (
                  <span className="hint" data-testid={`channel-invite-${c.id}`}>
                    Invite the app first: it is not in this channel yet.
                  </span>
                )}
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {selectedChannel && !selectedChannel.is_member && (
        <p className="callout warn" role="status">
          The app is not in #{selectedChannel.name}, so nothing can be posted there yet. In {platform}, type{' '}
          <code>/invite</code> in #{selectedChannel.name} and choose the app, or pick a channel it is already in.
        </p>
      )}
    </Dialog>
  );
}
