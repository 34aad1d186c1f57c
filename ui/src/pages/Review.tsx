import { ConnectionField, DayRangeFields } from '../components/FilterFields';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import type { AuditRow } from '../bindings/AuditRow';
import type { Classification } from '../bindings/Classification';
import type { EntryDetail } from '../bindings/EntryDetail';
import type { FactorChoice } from '../bindings/FactorChoice';
import type { LedgerEntry } from '../bindings/LedgerEntry';
import type { LedgerFilter } from '../bindings/LedgerFilter';
import type { QueueItem } from '../bindings/QueueItem';
import type { ReviewAction } from '../bindings/ReviewAction';
import type { ReviewProgress } from '../bindings/ReviewProgress';
import type { ReviewRule } from '../bindings/ReviewRule';
import type { RuleInput } from '../bindings/RuleInput';
import type { RulePreview } from '../bindings/RulePreview';
import type { SplitPart } from '../bindings/SplitPart';
import { useBackend } from '../backend/context';
import { EMPTY_FILTER, toAppError } from '../backend/types';
import { Badge, SandboxBadge } from '../components/Badge';
import { Dialog } from '../components/Dialog';
import { ErrorView } from '../components/ErrorView';
import { EmptyState, Loading, ProgressBar } from '../components/Feedback';
import { dec, isPlainDecimal, multiplyDecimals, percentOf, roundDecimal, sumDecimals } from '../lib/decimal';
import { formatAmount, formatDateTime, formatDay, formatInt, formatKg, formatKgNumber, plural } from '../lib/format';
import { ledgerStatusWords, scopeLabel } from '../lib/labels';
import type { Platforms } from '../lib/platforms';
import {
  ACTIVITY_CHOICES,
  QUANTITY_UNITS,
  SCOPE3_OPTIONS,
  auditWords,
  changeWords,
  classificationWords,
  exactAmount,
  partWords,
  progressWords,
  queueReasonWords,
  ruleMatchWords,
} from '../lib/review';
import { href, navigate } from '../router';
import { useNotices } from '../state/notices';
import { ReviewSuppliers } from './ReviewSuppliers';
import {
  useConnections,
  useEntryDetail,
  useFactors,
  usePlatforms,
  useProviders,
  useRefreshReview,
  useReviewQueue,
  useReviewRules,
} from '../state/queries';

/** Entries on one page of the queue. */
export const QUEUE_PAGE_SIZE = 50;

/** How many factors the reclassify dialog lists for a search. */
const FACTORS_LISTED = 40;

const NO_CLASSIFICATION: Classification = {
  action: 'accept',
  category: null,
  factor_code: null,
  scope3_category: null,
  reason: null,
  activity: null,
  quantity: null,
  quantity_unit: null,
  market_factor: null,
  market_factor_source: null,
  unit_price: null,
  unit_price_currency: null,
  unit_price_source: null,
  parts: [],
};

/**
 * The activities whose quantity is purchased electricity, heat or steam (Scope 2 in the
 * application's DESNZ table): the only ones a supplier or contract factor (market-based) is for.
 */
const SCOPE2_ACTIVITIES: ReadonlySet<string> = new Set(['electricity-uk']);

/** Activity data in words, with the price of an estimate and a supplier or contract factor. */
function activityWords(c: Classification): string {
  const label = ACTIVITY_CHOICES.find((x) => x.key === c.activity)?.label ?? c.activity ?? 'an activity';
  const unit = c.quantity_unit ?? '';
  const price = c.unit_price ?? null;
  const quantity =
    price !== null
      ? `estimated from the amount at ${price} ${c.unit_price_currency ?? ''} per ${unit} (${c.unit_price_source ?? 'no source'})`
      : `${c.quantity ?? '?'} ${unit}`;
  const factor = c.market_factor ?? null;
  const market = factor !== null ? `; supplier or contract factor ${factor} kg CO2e per ${unit} (${c.market_factor_source ?? 'no source'})` : '';
  return `Activity data: ${quantity} of ${label}${market}`;
}

/** What a decision makes of an entry, in a few words. */
function decisionWords(c: Classification): string {
  return c.action === 'activity' ? activityWords(c) : classificationWords(c);
}

/** A row of an entry's history in words (activity data with its estimate and factor). */
function historyWords(row: AuditRow): ReturnType<typeof auditWords> {
  const words = auditWords(row);
  if (words.detail === null || row.after === null) return words;
  try {
    const after: unknown = JSON.parse(row.after);
    if (typeof after === 'object' && after !== null && (after as Classification).action === 'activity') {
      return { ...words, detail: activityWords(after as Classification) };
    }
  } catch {
    // Not a decision: as auditWords reads it.
  }
  return words;
}

/** A rule being written: from "apply to similar", or an existing rule being changed. */
interface RuleDraft {
  initial: RuleInput;
  /** The rule it replaces, or null for a new one. */
  replacing: number | null;
}

export function ReviewPage({ entryId }: { entryId?: number }) {
  return entryId !== undefined ? <EntryPage key={entryId} id={entryId} /> : <QueuePage />;
}

// ---- the queue ------------------------------------------------------------------------------

function QueuePage() {
  const [filter, setFilter] = useState<LedgerFilter>(EMPTY_FILTER);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [decided, setDecided] = useState<LedgerEntry | null>(null);
  const [draft, setDraft] = useState<RuleDraft | null>(null);
  const [tab, setTab] = useState<'queue' | 'suppliers'>('queue');
  /** The supplier whose rule is being started ("Map this supplier"): its factor is chosen first. */
  const [mapping, setMapping] = useState<string | null>(null);
  const queue = useReviewQueue(filter, offset, QUEUE_PAGE_SIZE);
  const platforms = usePlatforms();

  const set = (patch: Partial<LedgerFilter>) => {
    setFilter((f) => ({ ...f, ...patch }));
    setOffset(0);
    setSelected(new Set());
  };
  const items = queue.data?.items ?? [];
  const progress = queue.data?.progress;
  const remaining = progress ? progress.entries - progress.reviewed : 0;
  // Estimates count as reviewed and stay in the queue until measured. They come right after
  // the changed entries, so the first page tells how many there are.
  const [estimates, setEstimates] = useState(0);
  useEffect(() => {
    if (queue.data && !queue.isPlaceholderData && offset === 0) {
      setEstimates(queue.data.items.filter((i) => i.why === 'estimated').length);
    }
  }, [queue.data, queue.isPlaceholderData, offset]);
  const queued = remaining + estimates;
  const currencies = [...new Set(items.filter((i) => selected.has(i.entry.id)).map((i) => i.entry.currency))];
  // A line is split one at a time.
  const single = selected.size === 1 ? (items.find((i) => selected.has(i.entry.id))?.entry ?? null) : null;

  // A decision can empty the last page: go back to one that has entries.
  useEffect(() => {
    if (queue.data && !queue.isPlaceholderData && offset > 0 && queue.data.items.length === 0) {
      setOffset((o) => Math.max(0, o - QUEUE_PAGE_SIZE));
    }
  }, [queue.data, queue.isPlaceholderData, offset]);

  const toggle = (id: number) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = items.length > 0 && items.every((i) => selected.has(i.entry.id));
  const toggleAll = () => setSelected(allSelected ? new Set() : new Set(items.map((i) => i.entry.id)));
  const goTo = (o: number) => {
    setOffset(o);
    setSelected(new Set());
  };

  return (
    <div className="page" data-testid="page-review">
      <header className="page-header">
        <h1>Review</h1>
        <p className="lede">
          Check what each purchase was counted as. Accept it, count it with another factor, split it between categories
          by share, exclude it with a reason, or give the quantity (kWh, litres, kilometres) in place of the spend. A
          decision outranks every rule and survives re-syncs; if the platform later changes the line, it comes back here.
        </p>
      </header>

      <ReviewFilters filter={filter} set={set} reset={() => set(EMPTY_FILTER)} platforms={platforms} />

      <div className="segmented review-tabs" role="group" aria-label="Show">
        <button type="button" aria-pressed={tab === 'queue'} onClick={() => setTab('queue')} data-testid="review-tab-queue">
          Queue and rules
        </button>
        <button type="button" aria-pressed={tab === 'suppliers'} onClick={() => setTab('suppliers')} data-testid="review-tab-suppliers">
          Suppliers
        </button>
      </div>

      {tab === 'suppliers' && <ReviewSuppliers filter={filter} onMap={setMapping} />}

      {tab === 'queue' && (<>

      {queue.isPending && <Loading>Reading the review queue…</Loading>}
      {queue.isError && (
        <ErrorView error={queue.error} title="The review queue could not be read" onRetry={() => void queue.refetch()} />
      )}

      {progress && <ProgressPanel progress={progress} />}

      {decided && (
        <DecidedCallout
          entry={decided}
          onApplyToSimilar={(rule) => setDraft({ initial: rule, replacing: null })}
          onDismiss={() => setDecided(null)}
        />
      )}

      {queue.data && (
        <section className="panel" aria-labelledby="queue-title">
          <div className="section-head">
            <h2 id="queue-title" className="section-title">
              To review <span className="count">{plural(remaining, 'entry', 'entries')}</span>
            </h2>
            {estimates > 0 && (
              <p className="small muted" data-testid="review-estimates">
                and {plural(estimates, 'estimate', 'estimates')} from spend waiting for the measured quantity
              </p>
            )}
          </div>
          <ReviewActions
            ids={[...selected]}
            what={selected.size === 0 ? 'Select entries to act on them.' : `${plural(selected.size, 'entry', 'entries')} selected`}
            canInclude={selected.size > 0}
            currencies={currencies}
            entry={single}
            onDecided={(entries, action) => {
              setSelected(new Set());
              setDecided(entries.length === 1 && (action === 'reclassify' || action === 'exclude') ? entries[0]! : null);
            }}
          />
          {items.length === 0 ? (
            <EmptyState title={progress && progress.entries > 0 ? 'Everything here is reviewed' : 'Nothing to review'}>
              <p>
                {progress && progress.entries > 0
                  ? 'Every purchase of this selection has been looked at by a person or decided by a rule.'
                  : 'Purchases appear here once an accounting platform is synced.'}
              </p>
            </EmptyState>
          ) : (
            <QueueTable items={items} selected={selected} onToggle={toggle} allSelected={allSelected} onToggleAll={toggleAll} />
          )}
          {queued > QUEUE_PAGE_SIZE && (
            <nav className="pager" aria-label="Pages of the queue">
              <button
                type="button"
                className="button small"
                onClick={() => goTo(Math.max(0, offset - QUEUE_PAGE_SIZE))}
                disabled={offset === 0}
                data-testid="review-previous"
              >
                Previous
              </button>
              <span className="small muted" aria-live="polite">
                {formatInt(offset + 1)}–{formatInt(Math.min(offset + items.length, queued))} of {formatInt(queued)}
              </span>
              <button
                type="button"
                className="button small"
                onClick={() => goTo(offset + QUEUE_PAGE_SIZE)}
                disabled={offset + QUEUE_PAGE_SIZE >= queued}
                data-testid="review-next"
              >
                Next
              </button>
            </nav>
          )}
        </section>
      )}

      <RulesSection onEdit={(rule) => setDraft({ initial: { name: rule.name, match: rule.match, classification: rule.classification }, replacing: rule.id })} />
      </>)}

      {mapping !== null && (
        <ReclassifyDialog
          count={`every entry from ${mapping}`}
          pending={false}
          error={null}
          onClose={() => setMapping(null)}
          onSave={(c) => {
            setMapping(null);
            setDraft({ initial: supplierRule(mapping, c), replacing: null });
          }}
        />
      )}

      {draft && <RuleDialog draft={draft} onClose={() => setDraft(null)} />}
    </div>
  );
}

/** A rule that counts every entry from `supplier`, on any platform, as `c` does. */
function supplierRule(supplier: string, c: Classification): RuleInput {
  return {
    name: `${supplier}: ${c.category ?? 'mapped'}`,
    match: {
      platform: null,
      supplier,
      account_code: null,
      description_contains: null,
      amount_min: null,
      amount_max: null,
    },
    classification: c,
  };
}

function ReviewFilters({
  filter,
  set,
  reset,
  platforms,
}: {
  filter: LedgerFilter;
  set: (patch: Partial<LedgerFilter>) => void;
  reset: () => void;
  platforms: Platforms;
}) {
  const id = useId();
  const badRange = filter.from !== null && filter.to !== null && filter.from > filter.to;
  const filtered = filter.from !== null || filter.to !== null || filter.connection_id !== null;
  return (
    <section className="filters panel" aria-label="Filters" data-testid="review-filters">
      <DayRangeFields id={id} filter={filter} set={set} testIdPrefix="review" />
      <ConnectionField id={id} filter={filter} set={set} platforms={platforms} testId="review-connection" />
      <div className="field actions">
        <button type="button" className="button" onClick={reset} disabled={!filtered}>
          Clear filters
        </button>
      </div>
      {filter.from !== null && (
        <p className="small muted review-filter-note">
          Suppliers with nothing before {formatDay(filter.from)} are marked as new.
        </p>
      )}
      {badRange && (
        <p className="field-error" role="alert">
          “From” is after “To”: nothing can match.
        </p>
      )}
    </section>
  );
}

function ProgressPanel({ progress: p }: { progress: ReviewProgress }) {
  const notes: string[] = [];
  if (p.changed_since_review > 0) notes.push(`${plural(p.changed_since_review, 'entry', 'entries')} changed since review`);
  if (p.unmapped > 0) notes.push(`${plural(p.unmapped, 'entry is', 'entries are')} unmapped and not counted`);
  return (
    <section className="panel review-progress" aria-labelledby="progress-title">
      <h2 id="progress-title" className="visually-hidden">
        Progress
      </h2>
      <p className="review-progress-line" data-testid="review-progress">
        {progressWords(p)}
      </p>
      <div className="review-bar">
        <ProgressBar label="Entries reviewed" value={p.entries > 0 ? p.reviewed / p.entries : 0} />
      </div>
      <p className="small muted">
        {formatKg(p.kg_co2e_reviewed)} of {formatKg(p.kg_co2e)} reviewed
        {notes.length > 0 && <> · {notes.join(' · ')}</>}
      </p>
    </section>
  );
}

function QueueTable({
  items,
  selected,
  onToggle,
  allSelected,
  onToggleAll,
}: {
  items: ReadonlyArray<QueueItem>;
  selected: ReadonlySet<number>;
  onToggle: (id: number) => void;
  allSelected: boolean;
  onToggleAll: () => void;
}) {
  return (
    <div className="table-scroll">
      <table className="table review-table" data-testid="review-queue">
        <thead>
          <tr>
            <th scope="col" className="review-check">
              <input type="checkbox" checked={allSelected} onChange={onToggleAll} aria-label="Select every entry on this page" />
            </th>
            <th scope="col">Why</th>
            <th scope="col">Date</th>
            <th scope="col">Supplier</th>
            <th scope="col">Description</th>
            <th scope="col">Account</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col">Category</th>
            <th scope="col" className="num">
              kg CO2e
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map(({ entry: e, why, seen }) => {
            const reason = queueReasonWords(why);
            const checked = selected.has(e.id);
            const changes = seen ? changeWords(seen, e) : [];
            return (
              <tr key={e.id} data-testid={`review-row-${e.id}`} className={checked ? 'selected' : undefined}>
                <td className="review-check">
                  <input
                    type="checkbox"
                    checked={checked}
                    onChange={() => onToggle(e.id)}
                    data-testid={`review-select-${e.id}`}
                    aria-label={`Select ${e.contact ?? `entry ${e.id}`}, ${formatAmount(e.net_amount)} ${e.currency} on ${formatDay(e.date)}`}
                  />
                </td>
                <td>
                  <Badge tone={reason.tone} title={reason.detail ?? undefined}>
                    {reason.label}
                  </Badge>
                </td>
                <td className="nowrap">{formatDay(e.date)}</td>
                <td>
                  <a href={href({ page: 'review', entryId: e.id })} title="Open the entry with everything behind its number">
                    {e.contact ?? `Entry ${e.id}`}
                  </a>
                </td>
                <td>
                  {e.description ?? '–'}
                  {e.share_percent != null && <PartNote entry={e} testId={`review-part-${e.id}`} />}
                  {changes.length > 0 && (
                    <span className="review-change" data-testid={`review-change-${e.id}`}>
                      Since the decision: {changes.join('; ')}
                    </span>
                  )}
                </td>
                <td>{e.account_code ?? e.account_name ?? '–'}</td>
                <td className="num nowrap">
                  {e.share_percent != null ? exactAmount(e.net_amount) : formatAmount(e.net_amount)} <span className="muted">{e.currency}</span>
                </td>
                <td>{e.category ?? <span className="muted">–</span>}</td>
                <td className="num">{e.kg_co2e === null ? <span className="muted">–</span> : formatKgNumber(e.kg_co2e)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Where an entry is a part of a split line: `Part 1 of 2 · 60 % of 1,000.00 GBP`. How many
 * parts the line has is its decision's to say.
 */
function PartNote({ entry, testId }: { entry: LedgerEntry; testId: string }) {
  const detail = useEntryDetail(entry.id);
  const decision = detail.data?.decision;
  const of = decision?.action === 'split' ? decision.parts.length : null;
  return (
    <span className="review-part" data-testid={testId}>
      {partWords(entry, of)}
    </span>
  );
}

/** After reclassifying or excluding one entry: offers to do the same for entries like it. */
function DecidedCallout({
  entry,
  onApplyToSimilar,
  onDismiss,
}: {
  entry: LedgerEntry;
  onApplyToSimilar: (rule: RuleInput) => void;
  onDismiss: () => void;
}) {
  const backend = useBackend();
  const { pushError } = useNotices();
  const like = useMutation({
    mutationFn: () => backend.ruleLike(entry.id),
    onSuccess: (rule) => onApplyToSimilar(rule),
    onError: (e) => pushError('A rule for similar entries could not be started', toAppError(e)),
  });
  const what = entry.status === 'excluded' ? 'excluded' : `counted as ${entry.category ?? 'its new category'}`;
  return (
    <aside className="callout review-decided" aria-label="Last decision" data-testid="review-decided">
      <p>
        <a href={href({ page: 'review', entryId: entry.id })}>{entry.contact ?? `Entry ${entry.id}`}</a>,{' '}
        {entry.description ?? 'the entry'}, is now {what}. Do the same for similar entries?
      </p>
      <div className="form-actions">
        <button type="button" className="button primary small" onClick={() => like.mutate()} disabled={like.isPending} data-testid="apply-to-similar">
          {like.isPending ? 'Finding similar entries…' : 'Apply to similar'}
        </button>
        <button type="button" className="button small subtle" onClick={onDismiss}>
          Not now
        </button>
      </div>
    </aside>
  );
}

// ---- actions on entries ---------------------------------------------------------------------

type DialogKind = 'reclassify' | 'exclude' | 'activity' | 'split';

const DONE_WORDS: Record<ReviewAction, string> = {
  accept: 'Accepted',
  reclassify: 'Reclassified',
  exclude: 'Excluded',
  activity: 'Activity data entered for',
  split: 'Split',
};

/** What a decision did, in words for its notice: `Reclassified 2 entries as Air travel`, `Split 1 entry into 2 parts`. */
function doneWords(entries: ReadonlyArray<LedgerEntry>, c: Classification): string {
  const count = plural(entries.length, 'entry', 'entries');
  if (c.action === 'split') return `Split ${count} into ${c.parts.length} parts`;
  return `${DONE_WORDS[c.action]} ${count}${c.action === 'reclassify' && entries[0]?.category ? ` as ${entries[0].category}` : ''}`;
}

/** Accept, reclassify, split, exclude, include again or add activity data, for `ids`, with a note. */
function ReviewActions({
  ids,
  what,
  canInclude,
  currencies = [],
  entry = null,
  splitParts = null,
  onDecided,
}: {
  ids: number[];
  /** What the actions act on, in words. */
  what: string;
  canInclude: boolean;
  /** The currencies of the entries acted on, as far as they are known (a price per unit is in one). */
  currencies?: ReadonlyArray<string>;
  /** The entry acted on when it is exactly one: only then can its line be split. */
  entry?: LedgerEntry | null;
  /** The parts the line is split in now, to start the split from. */
  splitParts?: ReadonlyArray<SplitPart> | null;
  onDecided?: (entries: LedgerEntry[], action: ReviewAction | 'include') => void;
}) {
  const backend = useBackend();
  const refresh = useRefreshReview();
  const { push, pushError } = useNotices();
  const [dialog, setDialog] = useState<DialogKind | null>(null);
  const [note, setNote] = useState('');
  const noteId = useId();
  const none = ids.length === 0;
  const count = plural(ids.length, 'entry', 'entries');

  const done = (entries: LedgerEntry[], action: ReviewAction | 'include', words: string) => {
    refresh();
    push({ tone: 'success', title: words });
    setNote('');
    setDialog(null);
    onDecided?.(entries, action);
  };

  // In a dialog, a refusal is shown in the dialog; otherwise as a notice.
  const decide = useMutation({
    mutationFn: (c: Classification) => backend.decideEntries(ids, c, note.trim() || null, null),
    onSuccess: (entries, c) => done(entries, c.action, doneWords(entries, c)),
  });
  const accept = useMutation({
    mutationFn: () => backend.decideEntries(ids, NO_CLASSIFICATION, note.trim() || null, null),
    onSuccess: (entries) => done(entries, 'accept', `Accepted ${plural(entries.length, 'entry', 'entries')}`),
    onError: (e) => pushError('The entries could not be accepted', toAppError(e)),
  });
  const include = useMutation({
    mutationFn: () => backend.undoDecisions(ids, note.trim() || null),
    onSuccess: (entries) =>
      done(entries, 'include', `Took back the decision on ${plural(entries.length, 'entry', 'entries')}: the rules and the mapping decide again`),
    onError: (e) => pushError('The decisions could not be taken back', toAppError(e)),
  });
  const busy = decide.isPending || accept.isPending || include.isPending;
  const open = (kind: DialogKind) => {
    decide.reset();
    setDialog(kind);
  };

  return (
    <div className="review-actions" role="group" aria-label="Actions on the selected entries">
      <p className="small muted review-actions-what" aria-live="polite">
        {what}
      </p>
      <div className="toolbar">
        <button type="button" className="button primary" onClick={() => accept.mutate()} disabled={none || busy} data-testid="review-accept">
          {accept.isPending ? 'Accepting…' : 'Accept'}
        </button>
        <button type="button" className="button" onClick={() => open('reclassify')} disabled={none || busy} data-testid="review-reclassify">
          Reclassify…
        </button>
        <button
          type="button"
          className="button"
          onClick={() => open('split')}
          disabled={entry === null || busy}
          data-testid="review-split"
          title={entry === null ? 'Select one entry to split it' : 'Count shares of the line with different factors'}
        >
          Split…
        </button>
        <button type="button" className="button" onClick={() => open('exclude')} disabled={none || busy} data-testid="review-exclude">
          Exclude…
        </button>
        <button type="button" className="button" onClick={() => open('activity')} disabled={none || busy} data-testid="review-activity">
          Add activity data…
        </button>
        <button
          type="button"
          className="button"
          onClick={() => include.mutate()}
          disabled={none || busy || !canInclude}
          data-testid="review-include"
          title="Take back the decision: the rules and the account mapping decide the entry again"
        >
          {include.isPending ? 'Including…' : 'Include again'}
        </button>
        <div className="field grow review-note">
          <label htmlFor={noteId}>Note (optional)</label>
          <input
            id={noteId}
            type="text"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="Kept with the decision, e.g. checked against the invoice"
            data-testid="review-note"
          />
        </div>
      </div>
      {dialog === 'reclassify' && (
        <ReclassifyDialog count={count} pending={decide.isPending} error={decide.error} onSave={(c) => decide.mutate(c)} onClose={() => setDialog(null)} />
      )}
      {dialog === 'exclude' && (
        <ExcludeDialog count={count} pending={decide.isPending} error={decide.error} onSave={(c) => decide.mutate(c)} onClose={() => setDialog(null)} />
      )}
      {dialog === 'split' && entry !== null && (
        <SplitDialog
          entry={entry}
          initial={splitParts}
          pending={decide.isPending}
          error={decide.error}
          onSave={(c) => decide.mutate(c)}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === 'activity' && (
        <ActivityDialog
          count={count}
          currencies={currencies}
          pending={decide.isPending}
          error={decide.error}
          onSave={(c) => decide.mutate(c)}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}

interface DecisionDialogProps {
  /** `3 entries`. */
  count: string;
  pending: boolean;
  error: unknown;
  onSave: (c: Classification) => void;
  onClose: () => void;
}

function DialogFooter({ pending, onClose, save, saveLabel, testId }: { pending: boolean; onClose: () => void; save: () => void; saveLabel: string; testId: string }) {
  return (
    <>
      <button type="button" className="button" onClick={onClose} disabled={pending}>
        Cancel
      </button>
      <button type="button" className="button primary" onClick={save} disabled={pending} data-testid={testId}>
        {pending ? 'Saving…' : saveLabel}
      </button>
    </>
  );
}

/** A factor of the shipped spend-based set, found by code or words of its title, with its value, unit and source. */
function FactorPicker({
  chosen,
  onChoose,
  testIdPrefix,
  label = 'Find a factor by code or words of its title',
}: {
  chosen: Pick<FactorChoice, 'code' | 'title'> | null;
  onChoose: (f: FactorChoice) => void;
  /** `factor`: the search is `factor-search`, the options `factor-option-481111`. */
  testIdPrefix: string;
  label?: string;
}) {
  const id = useId();
  const [query, setQuery] = useState('');
  const factors = useFactors(query, FACTORS_LISTED);
  const list = factors.data ?? [];
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-search`}>{label}</label>
        <input
          id={`${id}-search`}
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="e.g. air, hotel, 4841"
          data-testid={`${testIdPrefix}-search`}
          aria-controls={`${id}-factors`}
        />
      </div>
      <fieldset className="choice-list factor-list" id={`${id}-factors`} aria-busy={factors.isFetching || undefined}>
        <legend className="visually-hidden">Factor</legend>
        {factors.isError && <ErrorView error={factors.error} compact onRetry={() => void factors.refetch()} />}
        {factors.data && list.length === 0 && <p className="small muted">No factor matches “{query}”.</p>}
        {list.map((f) => (
          <label key={f.code} className="choice factor-choice" data-testid={`${testIdPrefix}-option-${f.code}`}>
            <input type="radio" name={`${id}-factor`} value={f.code} checked={chosen?.code === f.code} onChange={() => onChoose(f)} />
            <span className="factor-text">
              <span>
                <span className="mono">{f.code}</span> {f.title}
              </span>
              <FactorSource factor={f} />
            </span>
          </label>
        ))}
      </fieldset>
      {chosen && !list.some((f) => f.code === chosen.code) && (
        <p className="small">
          Chosen: <span className="mono">{chosen.code}</span> {chosen.title}
        </p>
      )}
    </>
  );
}

/** A factor's value, unit and source: `0.644 kg CO2e/2022 USD, purchaser price · US EPA …, set version`. */
function FactorSource({ factor: f }: { factor: FactorChoice }) {
  return (
    <span className="small muted block">
      <span className="mono">{f.value}</span> {f.unit} · {f.publisher}, {f.set} {f.version}
    </span>
  );
}

function ReclassifyDialog({ count, pending, error, onSave, onClose }: DecisionDialogProps) {
  const id = useId();
  const [chosen, setChosen] = useState<{ code: string; title: string } | null>(null);
  const [category, setCategory] = useState('');
  const [categoryTyped, setCategoryTyped] = useState(false);
  const [scope3, setScope3] = useState(1);
  /** Whether the person chose the Scope 3 category (else it follows the factor's). */
  const [scope3Chosen, setScope3Chosen] = useState(false);

  const save = () =>
    onSave({
      ...NO_CLASSIFICATION,
      action: 'reclassify',
      factor_code: chosen?.code ?? null,
      category: category.trim() || null,
      scope3_category: scope3,
    });

  return (
    <Dialog
      title={`Reclassify ${count}`}
      onClose={onClose}
      testId="reclassify-dialog"
      initialFocus="[data-testid='factor-search']"
      footer={<DialogFooter pending={pending} onClose={onClose} save={save} saveLabel="Reclassify" testId="reclassify-save" />}
    >
      <p className="small muted">
        Choose the spend-based factor that fits what was bought. The kilograms are worked out again from the amount with
        it.
      </p>
      <FactorPicker
        chosen={chosen}
        testIdPrefix="factor"
        onChoose={(f) => {
          setChosen({ code: f.code, title: f.title });
          if (!categoryTyped) setCategory(f.title);
          if (!scope3Chosen) setScope3(f.scope3_category);
        }}
      />
      <div className="form-row">
        <div className="field grow">
          <label htmlFor={`${id}-category`}>Category name</label>
          <input
            id={`${id}-category`}
            type="text"
            value={category}
            onChange={(e) => {
              setCategory(e.target.value);
              setCategoryTyped(true);
            }}
            placeholder="The factor’s title, unless you name it"
            data-testid="reclassify-category"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-scope3`}>Scope 3 category</label>
          <select
            id={`${id}-scope3`}
            value={scope3}
            onChange={(e) => {
              setScope3(Number(e.target.value));
              setScope3Chosen(true);
            }}
            data-testid="reclassify-scope3"
          >
            {SCOPE3_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error != null && <ErrorView error={error} title="Not reclassified" compact />}
    </Dialog>
  );
}

/** One part of a split being written. */
interface SplitRow {
  /** Stable across additions and removals, for React. */
  key: number;
  share: string;
  factor: Pick<FactorChoice, 'code' | 'title'> | null;
  category: string;
  /** Whether the category was named by the person (else it follows the factor's title). */
  categoryTyped: boolean;
  scope3: number;
  /** Whether the person chose the Scope 3 category (else it follows the factor's). */
  scope3Chosen: boolean;
}

/** A share as a person types it (`60`, `60 %`, `12.5`), as the application reads it; empty is null. */
function typedShare(text: string): string | null {
  return text.trim().replace(/\s*%$/, '').replace(/,/g, '') || null;
}

/** A share in words for the running total: `90`, `100`, `99.5`. */
function shareWords(s: string): string {
  const d = dec(s);
  return d.eq(0) ? '0' : d.toFixed();
}

/**
 * Splits one line between categories by share: a row a part (its share in percent, its
 * factor, its category and Scope 3 category), the amount each part gets as the share is typed,
 * and a running total that must reach 100 %. The application checks the parts; its refusal is
 * shown here.
 */
function SplitDialog({
  entry,
  initial,
  pending,
  error,
  onSave,
  onClose,
}: {
  entry: LedgerEntry;
  initial: ReadonlyArray<SplitPart> | null;
  pending: boolean;
  error: unknown;
  onSave: (c: Classification) => void;
  onClose: () => void;
}) {
  const id = useId();
  const line = entry.line_net_amount ?? entry.net_amount;
  const currency = entry.currency;
  const [nextKey, setNextKey] = useState(2);
  const [rows, setRows] = useState<SplitRow[]>(() => {
    const from: ReadonlyArray<SplitPart> = initial && initial.length >= 2 ? initial : [];
    if (from.length === 0) {
      const blankRow = (key: number): SplitRow => ({ key, share: '', factor: null, category: '', categoryTyped: false, scope3: 1, scope3Chosen: false });
      return [blankRow(0), blankRow(1)];
    }
    return from.map((p, i) => ({
      key: -1 - i,
      share: p.share_percent,
      factor: { code: p.factor_code, title: p.category ?? p.factor_code },
      category: p.category ?? '',
      categoryTyped: true,
      scope3: p.scope3_category ?? 1,
      scope3Chosen: true,
    }));
  });
  /** The row whose factor is being chosen: the first, for a new split. */
  const [picking, setPicking] = useState<number | null>(() => (rows[0]!.factor === null ? rows[0]!.key : null));
  /** Whether saving was tried: the rows' problems show from then on. */
  const [tried, setTried] = useState(false);
  /** The rows as they were last sent: a refusal is shown until they change. */
  const [sent, setSent] = useState<string | null>(null);
  const current = JSON.stringify(rows);

  const update = (key: number, patch: Partial<SplitRow>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const add = () => {
    const key = nextKey;
    setNextKey(key + 1);
    setRows((rs) => [...rs, { key, share: '', factor: null, category: '', categoryTyped: false, scope3: 1, scope3Chosen: false }]);
    setPicking(key);
  };
  const remove = (key: number) => {
    setRows((rs) => rs.filter((r) => r.key !== key));
    if (picking === key) setPicking(null);
  };

  const shareProblem = (r: SplitRow, n: number): string | null => {
    const share = typedShare(r.share);
    if (share === null) return `Give part ${n}’s share in percent, like 60.`;
    return isPlainDecimal(share) ? null : `Write part ${n}’s share as a number, like 60.`;
  };
  const factorProblem = (r: SplitRow, n: number): string | null => (r.factor === null ? `Choose the factor for part ${n}.` : null);
  const problems = rows.map((r, i) => ({ share: shareProblem(r, i + 1), factor: factorProblem(r, i + 1) }));

  const shares = rows.map((r) => typedShare(r.share)).filter((x): x is string => x !== null && isPlainDecimal(x));
  const total = sumDecimals(shares);
  const left = dec('100').minus(dec(total));
  const complete = left.eq(0);

  const save = () => {
    if (problems.some((p) => p.share !== null || p.factor !== null)) {
      setTried(true);
      return;
    }
    setSent(current);
    onSave({
      ...NO_CLASSIFICATION,
      action: 'split',
      parts: rows.map((r) => ({
        share_percent: typedShare(r.share)!,
        category: r.category.trim() || null,
        factor_code: r.factor!.code,
        scope3_category: r.scope3,
      })),
    });
  };

  return (
    <Dialog
      title={`Split ${exactAmount(line)} ${currency} between categories`}
      onClose={onClose}
      testId="split-dialog"
      initialFocus="[data-testid='split-share-0']"
      footer={<DialogFooter pending={pending} onClose={onClose} save={save} saveLabel="Split" testId="split-save" />}
    >
      <p className="small muted">
        {entry.contact ?? `Entry ${entry.id}`}, {entry.description ?? 'no description'}: when one line pays for several
        things (a flight and a hotel), count each part with its own factor. Each part is its share of the amount, exactly,
        and counts as an entry of its own; the shares add up to 100 %.
      </p>
      {rows.map((r, i) => {
        const n = i + 1;
        const share = typedShare(r.share);
        const amount = share !== null && isPlainDecimal(share) ? percentOf(line, share) : null;
        const p = problems[i]!;
        const shareError = tried ? p.share : null;
        const factorError = tried ? p.factor : null;
        const rowId = `${id}-${r.key}`;
        return (
          <fieldset key={r.key} className="rule-match split-part" data-testid={`split-part-${i}`}>
            <legend className="small-title">Part {n}</legend>
            <div className="form-row">
              <div className="field split-share">
                <label htmlFor={`${rowId}-share`}>Share (%)</label>
                <input
                  id={`${rowId}-share`}
                  type="text"
                  inputMode="decimal"
                  value={r.share}
                  onChange={(e) => update(r.key, { share: e.target.value })}
                  placeholder="e.g. 60"
                  size={7}
                  data-testid={`split-share-${i}`}
                  aria-required="true"
                  aria-invalid={shareError ? true : undefined}
                  aria-describedby={[`${rowId}-amount`, shareError ? `${rowId}-share-error` : undefined].filter(Boolean).join(' ')}
                />
              </div>
              <div className="field">
                <label htmlFor={`${rowId}-amount`}>Amount</label>
                <output id={`${rowId}-amount`} htmlFor={`${rowId}-share`} className="mono split-amount" data-testid={`split-amount-${i}`}>
                  {amount !== null ? `${exactAmount(amount)} ${currency}` : '–'}
                </output>
              </div>
            </div>
            {shareError && (
              <span id={`${rowId}-share-error`} className="field-error" role="alert">
                {shareError}
              </span>
            )}
            <div className="split-factor">
              <p className="small grow" data-testid={`split-factor-${i}`}>
                <span className="muted">Factor: </span>
                {r.factor ? <ChosenFactor code={r.factor.code} title={r.factor.title} /> : <span className="muted">none chosen yet</span>}
              </p>
              <div className="form-actions">
                <button
                  type="button"
                  className="button small"
                  onClick={() => setPicking(picking === r.key ? null : r.key)}
                  aria-expanded={picking === r.key}
                  aria-controls={picking === r.key ? `${rowId}-picker` : undefined}
                  data-testid={`split-choose-${i}`}
                >
                  {picking === r.key ? 'Close the factor list' : r.factor ? 'Change the factor' : 'Choose the factor'}
                </button>
                <button
                  type="button"
                  className="button small subtle"
                  onClick={() => remove(r.key)}
                  disabled={rows.length <= 2}
                  aria-label={`Remove part ${n}`}
                  title={rows.length <= 2 ? 'A split has at least two parts' : undefined}
                  data-testid={`split-remove-${i}`}
                >
                  Remove
                </button>
              </div>
            </div>
            {factorError && (
              <span className="field-error" role="alert">
                {factorError}
              </span>
            )}
            {picking === r.key && (
              <div id={`${rowId}-picker`} className="split-picker">
                <FactorPicker
                  chosen={r.factor}
                  testIdPrefix={`split-factor-${i}`}
                  label={`Find the factor for part ${n} by code or words of its title`}
                  onChoose={(f) => {
                    update(r.key, {
                      factor: { code: f.code, title: f.title },
                      ...(r.categoryTyped ? {} : { category: f.title }),
                      ...(r.scope3Chosen ? {} : { scope3: f.scope3_category }),
                    });
                    setPicking(null);
                  }}
                />
              </div>
            )}
            <div className="form-row">
              <div className="field grow">
                <label htmlFor={`${rowId}-category`}>Category name</label>
                <input
                  id={`${rowId}-category`}
                  type="text"
                  value={r.category}
                  onChange={(e) => update(r.key, { category: e.target.value, categoryTyped: true })}
                  placeholder="The factor’s title, unless you name it"
                  data-testid={`split-category-${i}`}
                />
              </div>
              <div className="field">
                <label htmlFor={`${rowId}-scope3`}>Scope 3 category</label>
                <select
                  id={`${rowId}-scope3`}
                  value={r.scope3}
                  onChange={(e) => update(r.key, { scope3: Number(e.target.value), scope3Chosen: true })}
                  data-testid={`split-scope3-${i}`}
                >
                  {SCOPE3_OPTIONS.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </div>
            </div>
          </fieldset>
        );
      })}
      <div className="split-foot">
        <button type="button" className="button small" onClick={add} data-testid="split-add">
          Add a part
        </button>
        <p className={`split-total${complete ? ' complete' : ' incomplete'}`} aria-live="polite" data-testid="split-total">
          Total {shareWords(total)} %
          {complete
            ? ` · ${exactAmount(line)} ${currency}, the whole line counted once`
            : left.gt(0)
              ? ` · ${shareWords(left.toFixed())} % of the line is in no part yet`
              : ` · ${shareWords(left.abs().toFixed())} % too much: the line would count more than once`}
        </p>
      </div>
      {error != null && sent === current && <ErrorView error={error} title="Not split" compact />}
    </Dialog>
  );
}

/** A chosen factor: its code and title, and its value, unit and source once the shipped set is read. */
function ChosenFactor({ code, title }: { code: string; title: string }) {
  const found = useFactors(code, 5).data?.find((f) => f.code === code);
  return (
    <span className="factor-text">
      <span>
        <span className="mono">{code}</span> {found?.title ?? title}
      </span>
      {found && <FactorSource factor={found} />}
    </span>
  );
}

function ExcludeDialog({ count, pending, error, onSave, onClose }: DecisionDialogProps) {
  const id = useId();
  const [reason, setReason] = useState('');
  const save = () => onSave({ ...NO_CLASSIFICATION, action: 'exclude', reason: reason.trim() || null });
  return (
    <Dialog
      title={`Exclude ${count}`}
      onClose={onClose}
      testId="exclude-dialog"
      footer={<DialogFooter pending={pending} onClose={onClose} save={save} saveLabel="Exclude" testId="exclude-save" />}
    >
      <p className="small muted">Excluded entries are kept for the record but count for nothing.</p>
      <div className="field">
        <label htmlFor={`${id}-reason`}>Why are they excluded?</label>
        <input
          id={`${id}-reason`}
          type="text"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="e.g. personal expense, repaid"
          data-testid="exclude-reason"
          aria-describedby={`${id}-hint`}
        />
        <span id={`${id}-hint`} className="hint">
          Required: the reason goes in the audit trail and the inventory report.
        </span>
      </div>
      {error != null && <ErrorView error={error} title="Not excluded" compact />}
    </Dialog>
  );
}

/** A number as a person types it (`1,234.5`), as the application reads it: `1234.5`; empty is null. */
function typedNumber(text: string): string | null {
  return text.trim().replace(/,/g, '') || null;
}

/** The words for a typed number that is not one, or null when it is one (or, unless `required`, empty). */
function numberProblem(text: string, what: string, example: string, required: boolean): string | null {
  const n = typedNumber(text);
  if (n === null) return required ? `Give the ${what}, like ${example}.` : null;
  return isPlainDecimal(n) ? null : `Write the ${what} as a number, like ${example}.`;
}

function ActivityDialog({ count, currencies, pending, error, onSave, onClose }: DecisionDialogProps & { currencies: ReadonlyArray<string> }) {
  const id = useId();
  const [activity, setActivity] = useState(ACTIVITY_CHOICES[0]!.key);
  const [how, setHow] = useState<'measured' | 'estimated'>('measured');
  const [quantity, setQuantity] = useState('');
  const [unit, setUnit] = useState(ACTIVITY_CHOICES[0]!.unit);
  const [price, setPrice] = useState('');
  const [currency, setCurrency] = useState(currencies[0] ?? '');
  const [priceSource, setPriceSource] = useState('');
  const [factor, setFactor] = useState('');
  const [factorSource, setFactorSource] = useState('');
  /** Whether saving was tried: the numbers' problems show from then on. */
  const [tried, setTried] = useState(false);
  const chosen = ACTIVITY_CHOICES.find((a) => a.key === activity) ?? ACTIVITY_CHOICES[0]!;
  const estimated = how === 'estimated';
  const scope2 = SCOPE2_ACTIVITIES.has(activity);
  // A price is per unit of the activity's own quantity.
  const priceUnit = chosen.unit;

  const problems = {
    quantity: estimated ? null : numberProblem(quantity, 'quantity', '1234.5', false),
    price: estimated ? numberProblem(price, `price per ${priceUnit}`, '0.245', true) : null,
    factor: scope2 ? numberProblem(factor, 'supplier or contract factor', '0.05', false) : null,
  };
  const shown = (p: string | null) => (tried ? p : null);

  const save = () => {
    if (Object.values(problems).some((p) => p !== null)) {
      setTried(true);
      return;
    }
    const marketFactor = scope2 ? typedNumber(factor) : null;
    onSave({
      ...NO_CLASSIFICATION,
      action: 'activity',
      activity,
      quantity: estimated ? null : typedNumber(quantity),
      quantity_unit: estimated ? priceUnit : unit,
      unit_price: estimated ? typedNumber(price) : null,
      unit_price_currency: estimated ? currency.trim().toUpperCase() || null : null,
      unit_price_source: estimated ? priceSource.trim() || null : null,
      market_factor: marketFactor,
      market_factor_source: marketFactor !== null ? factorSource.trim() || null : null,
    });
  };
  const fieldError = (key: keyof typeof problems) => {
    const p = shown(problems[key]);
    return p ? (
      <span id={`${id}-${key}-error`} className="field-error" role="alert">
        {p}
      </span>
    ) : null;
  };
  const described = (key: keyof typeof problems, hint?: string) =>
    [hint, shown(problems[key]) ? `${id}-${key}-error` : undefined].filter(Boolean).join(' ') || undefined;

  return (
    <Dialog
      title={`Add activity data for ${count}`}
      onClose={onClose}
      testId="activity-dialog"
      footer={
        <DialogFooter
          pending={pending}
          onClose={onClose}
          save={save}
          saveLabel={estimated ? 'Count from the estimate' : 'Count from the quantity'}
          testId="activity-save"
        />
      }
    >
      <p className="small muted">
        A quantity from the bill counts the entry with a published factor for the activity (UK DESNZ 2024) in place of
        the spend-based estimate.
      </p>
      <div className="field">
        <label htmlFor={`${id}-activity`}>Activity</label>
        <select
          id={`${id}-activity`}
          value={activity}
          onChange={(e) => {
            setActivity(e.target.value);
            setUnit(ACTIVITY_CHOICES.find((a) => a.key === e.target.value)?.unit ?? unit);
          }}
          data-testid="activity-select"
        >
          {ACTIVITY_CHOICES.map((a) => (
            <option key={a.key} value={a.key}>
              {a.label}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="choice-list">
        <legend className="small-title">The quantity</legend>
        <label className="choice">
          <input
            type="radio"
            name={`${id}-how`}
            value="measured"
            checked={!estimated}
            onChange={() => setHow('measured')}
            data-testid="activity-measured"
          />
          <span>
            Measured quantity
            <span className="small muted block">From the bill, a meter reading or a fuel card.</span>
          </span>
        </label>
        <label className="choice">
          <input
            type="radio"
            name={`${id}-how`}
            value="estimated"
            checked={estimated}
            onChange={() => setHow('estimated')}
            data-testid="activity-estimated"
          />
          <span>
            Estimate from the amount
            <span className="small muted block">The entry’s amount divided by a price per {priceUnit}, when the quantity is not at hand.</span>
          </span>
        </label>
      </fieldset>
      {!estimated && (
        <div className="form-row">
          <div className="field grow">
            <label htmlFor={`${id}-quantity`}>Quantity</label>
            <input
              id={`${id}-quantity`}
              type="text"
              inputMode="decimal"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              placeholder="e.g. 1234.5"
              data-testid="activity-quantity"
              aria-invalid={shown(problems.quantity) ? true : undefined}
              aria-describedby={described('quantity')}
            />
            {fieldError('quantity')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-unit`}>Unit</label>
            <select id={`${id}-unit`} value={unit} onChange={(e) => setUnit(e.target.value)} data-testid="activity-unit">
              {QUANTITY_UNITS.map((u) => (
                <option key={u} value={u}>
                  {u}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}
      {estimated && (
        <>
          <div className="form-row">
            <div className="field grow">
              <label htmlFor={`${id}-price`}>Price per {priceUnit}</label>
              <input
                id={`${id}-price`}
                type="text"
                inputMode="decimal"
                value={price}
                onChange={(e) => setPrice(e.target.value)}
                placeholder="e.g. 0.245"
                data-testid="activity-price"
                aria-required="true"
                aria-invalid={shown(problems.price) ? true : undefined}
                aria-describedby={described('price')}
              />
              {fieldError('price')}
            </div>
            <div className="field">
              <label htmlFor={`${id}-currency`}>Currency of the price</label>
              <input
                id={`${id}-currency`}
                type="text"
                value={currency}
                onChange={(e) => setCurrency(e.target.value)}
                maxLength={3}
                size={5}
                autoCapitalize="characters"
                spellCheck={false}
                data-testid="activity-price-currency"
                aria-required="true"
                aria-describedby={currencies.length > 1 ? `${id}-currency-hint` : undefined}
              />
            </div>
          </div>
          {currencies.length > 1 && (
            <p id={`${id}-currency-hint`} className="hint">
              The entries are in {currencies.join(' and ')}: a price estimates only entries in its own currency, so decide
              them apart.
            </p>
          )}
          <div className="field">
            <label htmlFor={`${id}-price-source`}>Source of the price</label>
            <input
              id={`${id}-price-source`}
              type="text"
              value={priceSource}
              onChange={(e) => setPriceSource(e.target.value)}
              placeholder="e.g. DESNZ Quarterly Energy Prices, non-domestic, 2024"
              data-testid="activity-price-source"
              aria-required="true"
              aria-describedby={`${id}-price-source-hint`}
            />
            <span id={`${id}-price-source-hint`} className="hint">
              Required: an estimate states where its price comes from.
            </span>
          </div>
          <p className="callout small" data-testid="activity-estimate-note">
            The quantity is the amount divided by the price, to a millionth of a {priceUnit}. An estimate counts with data
            quality 3 (a measured quantity has 2), and the entry stays in the review queue as “Estimated from spend” until
            someone gives the measured quantity.
          </p>
        </>
      )}
      {scope2 && (
        <fieldset className="rule-match" data-testid="activity-market">
          <legend className="small-title">Market-based Scope 2 (optional)</legend>
          <p className="small muted">
            The supplier’s factor (its fuel mix disclosure) or a contract’s makes the market-based Scope 2 figure, kept
            beside the location-based one from the UK grid average. Without one, the market-based figure is the grid
            average.
          </p>
          <div className="form-row">
            <div className="field">
              <label htmlFor={`${id}-factor`}>Supplier or contract factor (kg CO2e per {priceUnit})</label>
              <input
                id={`${id}-factor`}
                type="text"
                inputMode="decimal"
                value={factor}
                onChange={(e) => setFactor(e.target.value)}
                placeholder="e.g. 0.05"
                data-testid="activity-market-factor"
                aria-invalid={shown(problems.factor) ? true : undefined}
                aria-describedby={described('factor')}
              />
              {fieldError('factor')}
            </div>
            <div className="field grow">
              <label htmlFor={`${id}-factor-source`}>Source of the factor</label>
              <input
                id={`${id}-factor-source`}
                type="text"
                value={factorSource}
                onChange={(e) => setFactorSource(e.target.value)}
                placeholder="e.g. supplier fuel mix disclosure 2024"
                data-testid="activity-market-source"
                aria-required={typedNumber(factor) !== null ? true : undefined}
                aria-describedby={`${id}-factor-source-hint`}
              />
              <span id={`${id}-factor-source-hint`} className="hint">
                Required with a factor: the supplier’s fuel mix disclosure, a contract or certificates.
              </span>
            </div>
          </div>
        </fieldset>
      )}
      {error != null && <ErrorView error={error} title="Not counted from the quantity" compact />}
    </Dialog>
  );
}

// ---- rules for similar entries --------------------------------------------------------------

function RulesSection({ onEdit }: { onEdit: (rule: ReviewRule) => void }) {
  const backend = useBackend();
  const refresh = useRefreshReview();
  const { push, pushError } = useNotices();
  const rules = useReviewRules();
  const platforms = usePlatforms();
  const [removing, setRemoving] = useState<ReviewRule | null>(null);
  const move = useMutation({
    mutationFn: ({ id, position }: { id: number; position: number }) => backend.moveRule(id, position, null),
    onSuccess: () => refresh(),
    onError: (e) => pushError('The rule could not be moved', toAppError(e)),
  });
  const remove = useMutation({
    mutationFn: (id: number) => backend.removeRule(id, null),
    onSuccess: (rule) => {
      refresh();
      setRemoving(null);
      push({
        tone: 'success',
        title: `Deleted the rule “${rule.name}”`,
        message: rule.entries > 0 ? `The ${plural(rule.entries, 'entry', 'entries')} it decided go back to the other rules and the mapping.` : null,
      });
    },
    onError: (e) => {
      setRemoving(null);
      pushError('The rule could not be deleted', toAppError(e));
    },
  });
  const list = rules.data ?? [];
  return (
    <section className="panel" aria-labelledby="rules-title">
      <div className="section-head">
        <h2 id="rules-title" className="section-title">
          Rules for similar entries {rules.data && <span className="count">{formatInt(list.length)}</span>}
        </h2>
      </div>
      <p className="small muted">
        Tried in this order on every entry and every later sync; the first that matches decides. A person’s decision on an
        entry outranks them all. To add one, reclassify or exclude an entry and choose Apply to similar.
      </p>
      {rules.isPending && <Loading>Reading the rules…</Loading>}
      {rules.isError && <ErrorView error={rules.error} compact onRetry={() => void rules.refetch()} />}
      {rules.data && list.length === 0 && <p className="muted">No rules yet.</p>}
      {list.length > 0 && (
        <ol className="review-rules" data-testid="rules-list">
          {list.map((r, i) => (
            <li key={r.id} className="review-rule" data-testid={`rule-row-${r.id}`}>
              <span className="review-rule-position" aria-label={`Tried ${i + 1}${i === 0 ? 'st' : i === 1 ? 'nd' : i === 2 ? 'rd' : 'th'}`}>
                {r.position}
              </span>
              <div className="review-rule-text">
                <p className="strong">{r.name}</p>
                <p className="small">
                  <span className="muted">When</span> {ruleMatchWords(r.match, platforms.name)}{' '}
                  <span className="muted">→</span> {classificationWords(r.classification)}
                </p>
                <p className="small muted" data-testid={`rule-entries-${r.id}`}>
                  Decides {plural(r.entries, 'entry', 'entries')}
                </p>
              </div>
              <div className="review-rule-actions">
                <button
                  type="button"
                  className="button small"
                  onClick={() => move.mutate({ id: r.id, position: r.position - 1 })}
                  disabled={i === 0 || move.isPending}
                  aria-label={`Move “${r.name}” up`}
                >
                  Move up
                </button>
                <button
                  type="button"
                  className="button small"
                  onClick={() => move.mutate({ id: r.id, position: r.position + 1 })}
                  disabled={i === list.length - 1 || move.isPending}
                  aria-label={`Move “${r.name}” down`}
                >
                  Move down
                </button>
                <button type="button" className="button small" onClick={() => onEdit(r)} aria-label={`Edit “${r.name}”`}>
                  Edit
                </button>
                <button type="button" className="button small" onClick={() => setRemoving(r)} aria-label={`Delete “${r.name}”`}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
      {removing && (
        <Dialog
          title={`Delete the rule “${removing.name}”?`}
          onClose={() => setRemoving(null)}
          testId="rule-delete-dialog"
          footer={
            <>
              <button type="button" className="button" onClick={() => setRemoving(null)} disabled={remove.isPending}>
                Cancel
              </button>
              <button
                type="button"
                className="button danger"
                onClick={() => remove.mutate(removing.id)}
                disabled={remove.isPending}
                data-testid="rule-delete-confirm"
              >
                {remove.isPending ? 'Deleting…' : 'Delete rule'}
              </button>
            </>
          }
        >
          <p>
            {removing.entries > 0
              ? `The ${plural(removing.entries, 'entry', 'entries')} it decides go back to the other rules and the account mapping.`
              : 'It decides no entry now.'}{' '}
            Decisions people made on entries stay as they are.
          </p>
        </Dialog>
      )}
    </section>
  );
}

/** Writes a rule (from "apply to similar", or in place of one), previews what it changes, saves it. */
function RuleDialog({ draft, onClose }: { draft: RuleDraft; onClose: () => void }) {
  const backend = useBackend();
  const refresh = useRefreshReview();
  const { push } = useNotices();
  const providers = useProviders().data ?? [];
  const id = useId();
  const m = draft.initial.match;
  const [name, setName] = useState(draft.initial.name);
  const [supplier, setSupplier] = useState(m.supplier ?? '');
  const [account, setAccount] = useState(m.account_code ?? '');
  const [contains, setContains] = useState(m.description_contains ?? '');
  const [min, setMin] = useState(m.amount_min ?? '');
  const [max, setMax] = useState(m.amount_max ?? '');
  const [platform, setPlatform] = useState(m.platform ?? '');

  const rule = (): RuleInput => ({
    name,
    match: {
      platform: platform || null,
      supplier: supplier.trim() || null,
      account_code: account.trim() || null,
      description_contains: contains.trim() || null,
      amount_min: min.trim().replace(/,/g, '') || null,
      amount_max: max.trim().replace(/,/g, '') || null,
    },
    classification: draft.initial.classification,
  });
  const preview = useMutation({ mutationFn: () => backend.previewRule(rule(), draft.replacing) });
  const save = useMutation({
    mutationFn: () => (draft.replacing === null ? backend.addRule(rule(), null) : backend.editRule(draft.replacing, rule(), null)),
    onSuccess: (saved) => {
      refresh();
      push({
        tone: 'success',
        title: `${draft.replacing === null ? 'Saved' : 'Changed'} the rule “${saved.name}”`,
        message: `It decides ${plural(saved.entries, 'entry', 'entries')}.`,
      });
      onClose();
    },
  });
  // A change to the rule makes the preview out of date.
  const edit = (setter: (v: string) => void) => (e: { target: { value: string } }) => {
    setter(e.target.value);
    preview.reset();
    save.reset();
  };
  const platformOptions = providers.filter((p) => p.category === 'accounting' || p.id === platform);

  return (
    <Dialog
      title={draft.replacing === null ? 'Apply to similar entries' : 'Change the rule'}
      onClose={onClose}
      testId="rule-dialog"
      initialFocus="[data-testid='rule-name']"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={save.isPending}>
            Cancel
          </button>
          <button type="button" className="button" onClick={() => preview.mutate()} disabled={preview.isPending} data-testid="rule-preview">
            {preview.isPending ? 'Previewing…' : 'Preview'}
          </button>
          <button type="button" className="button primary" onClick={() => save.mutate()} disabled={save.isPending} data-testid="rule-save">
            {save.isPending ? 'Saving…' : 'Save rule'}
          </button>
        </>
      }
    >
      <p className="small">
        <span className="muted">The rule does this:</span> {classificationWords(draft.initial.classification)}.{' '}
        <span className="muted">It decides every entry it matches, on this and every later sync, unless a person decided the entry.</span>
      </p>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} type="text" value={name} onChange={edit(setName)} data-testid="rule-name" />
      </div>
      <fieldset className="rule-match">
        <legend className="small-title">Matches entries whose… (every field given must match)</legend>
        <div className="form-row">
          <div className="field grow">
            <label htmlFor={`${id}-supplier`}>Supplier is</label>
            <input id={`${id}-supplier`} type="text" value={supplier} onChange={edit(setSupplier)} data-testid="rule-supplier" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-account`}>Account code is</label>
            <input id={`${id}-account`} type="text" value={account} onChange={edit(setAccount)} data-testid="rule-account" />
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${id}-contains`}>Description contains</label>
          <input id={`${id}-contains`} type="text" value={contains} onChange={edit(setContains)} data-testid="rule-description" />
        </div>
        <div className="form-row">
          <div className="field">
            <label htmlFor={`${id}-min`}>Amount from</label>
            <input id={`${id}-min`} type="text" inputMode="decimal" value={min} onChange={edit(setMin)} data-testid="rule-min" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-max`}>Amount to</label>
            <input id={`${id}-max`} type="text" inputMode="decimal" value={max} onChange={edit(setMax)} data-testid="rule-max" />
          </div>
          <div className="field grow">
            <label htmlFor={`${id}-platform`}>Platform</label>
            <select id={`${id}-platform`} value={platform} onChange={edit(setPlatform)} data-testid="rule-platform">
              <option value="">Any platform</option>
              {platformOptions.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
              {platform && !platformOptions.some((p) => p.id === platform) && <option value={platform}>{platform}</option>}
            </select>
          </div>
        </div>
        <p className="hint">Letters’ case does not matter; amounts are in each line’s own currency, both ends included.</p>
      </fieldset>
      {preview.isError && <ErrorView error={preview.error} title="No preview" compact />}
      {preview.data && <RulePreviewView preview={preview.data} />}
      {save.isError && <ErrorView error={save.error} title="The rule was not saved" compact />}
    </Dialog>
  );
}

function RulePreviewView({ preview: p }: { preview: RulePreview }) {
  return (
    <section className="rule-preview" aria-label="Preview" aria-live="polite">
      <p data-testid="rule-preview-count">
        {p.changes === 0 ? (
          'Saving it would change no entry.'
        ) : (
          <>
            Saving it would change <strong>{plural(p.changes, 'entry', 'entries')}</strong>: {formatKg(p.kg_co2e_now)} now →{' '}
            {formatKg(p.kg_co2e_after)} after.
          </>
        )}
      </p>
      {p.same_result > 0 && (
        <p className="small muted" data-testid="rule-preview-same-result">
          {p.same_result === 1
            ? 'Of them, 1 entry keeps the result it has and only becomes decided by this rule.'
            : `Of them, ${plural(p.same_result, 'entry', 'entries')} keep the results they have and only become decided by this rule.`}
        </p>
      )}
      {p.entries.length > 0 && (
        <div className="table-scroll rule-preview-list">
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Supplier</th>
                <th scope="col">Description</th>
                <th scope="col">Now</th>
                <th scope="col">After</th>
                <th scope="col" className="num">
                  kg CO2e
                </th>
              </tr>
            </thead>
            <tbody>
              {p.entries.map(({ entry: e, after }) => (
                <tr key={e.id} data-testid={`rule-preview-${e.id}`}>
                  <td className="nowrap">{formatDay(e.date)}</td>
                  <td>{e.contact ?? '–'}</td>
                  <td>{e.description ?? '–'}</td>
                  <td>{e.status === 'counted' ? (e.category ?? 'Counted') : ledgerStatusWords(e.status).label}</td>
                  <td>{after.status === 'counted' ? (after.category ?? 'Counted') : ledgerStatusWords(after.status).label}</td>
                  <td className="num nowrap">
                    {formatKgNumber(e.kg_co2e ?? '0')} → {formatKgNumber(after.kg_co2e ?? '0')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {p.changes > p.entries.length && (
            <p className="small muted">The {formatInt(p.entries.length)} largest changes are listed.</p>
          )}
        </div>
      )}
    </section>
  );
}

// ---- one entry --------------------------------------------------------------------------------

function EntryPage({ id }: { id: number }) {
  const detail = useEntryDetail(id);
  const [draft, setDraft] = useState<RuleDraft | null>(null);
  const d = detail.data;
  return (
    <div className="page" data-testid="page-review-entry">
      <header className="page-header">
        <p className="breadcrumb">
          <a href={href({ page: 'review' })}>Review</a> › Entry {id}
        </p>
        <h1>{d ? `${d.entry.contact ?? `Entry ${id}`}: ${d.entry.description ?? 'no description'}` : `Entry ${id}`}</h1>
      </header>
      {detail.isPending && <Loading>Reading the entry…</Loading>}
      {detail.isError && <ErrorView error={detail.error} title="The entry could not be read" onRetry={() => void detail.refetch()} />}
      {d && <EntryView detail={d} onApplyToSimilar={(rule) => setDraft({ initial: rule, replacing: null })} />}
      {draft && <RuleDialog draft={draft} onClose={() => setDraft(null)} />}
    </div>
  );
}

function EntryView({ detail, onApplyToSimilar }: { detail: EntryDetail; onApplyToSimilar: (rule: RuleInput) => void }) {
  const { entry: e, decision, rule, history } = detail;
  const backend = useBackend();
  const { pushError } = useNotices();
  const platforms = usePlatforms();
  const connection = useConnections().data?.find((c) => c.id === e.connection_id);
  const status = ledgerStatusWords(e.status);
  const usdNominal = e.fx_rate !== null ? multiplyDecimals(e.net_amount, e.fx_rate) : null;
  const canApply = decision !== null && (decision.action === 'reclassify' || decision.action === 'exclude');
  const like = useMutation({
    mutationFn: () => backend.ruleLike(e.id),
    onSuccess: onApplyToSimilar,
    onError: (err) => pushError('A rule for similar entries could not be started', toAppError(err)),
  });
  const changes = decision && detail.changed_since_review ? changeWords(decision.seen, e) : [];
  // A part of a split line: its share of the line's amount is what it counts on.
  const part = partWords(e, decision?.action === 'split' ? decision.parts.length : null);
  const line = e.line_net_amount ?? e.net_amount;
  // Counted from a person's quantity: the quantity (or the price it was estimated at) takes the
  // place of the exchange rate and the price deflator.
  const activity = decision !== null && decision.action === 'activity' && e.status === 'counted' && e.fx_rate === null ? decision : null;
  const price = activity?.unit_price ?? null;
  const unit = activity?.quantity_unit ?? '';
  const estimatedQuantity = price !== null && isPlainDecimal(price) && dec(price).gt(0) ? roundDecimal(dec(e.net_amount).abs().div(dec(price)).toFixed(), 6) : null;

  return (
    <div className="review-entry" data-testid="entry-detail">
      <section className="panel" aria-labelledby="entry-counts-title">
        <h2 id="entry-counts-title" className="section-title">
          What it counts for
        </h2>
        <p className="review-entry-kg" data-testid="entry-kg">
          {e.kg_co2e === null ? 'Nothing counted' : formatKg(e.kg_co2e)}
        </p>
        <dl className="detail-grid">
          <dt>Status</dt>
          <dd>
            <Badge tone={status.tone}>{status.label}</Badge> {e.reason ?? status.detail}
          </dd>
          <dt>Scope</dt>
          <dd>{scopeLabel(e.scope, e.scope3_category)}</dd>
          <dt>Category</dt>
          <dd>{e.category ?? '–'}</dd>
          {part !== null && (
            <>
              <dt>Part</dt>
              <dd data-testid="entry-part">
                {part}
                <span className="block muted small">
                  Each part of the line is an entry of its own, counted with its own factor on its share of the amount.
                  Deciding any of them whole (accept, reclassify, exclude) counts the line as one entry again.
                </span>
              </dd>
            </>
          )}
          <dt>Decided by</dt>
          <dd data-testid="entry-decided-by">
            {decision ? (
              <>
                {decisionWords(decision)} — {decision.decided_by}, {formatDateTime(new Date(decision.decided_at_ms).toISOString())}
                {decision.note && <span className="block muted">Note: {decision.note}</span>}
              </>
            ) : rule ? (
              <>
                The rule “{rule.name}” ({ruleMatchWords(rule.match, platforms.name)})
              </>
            ) : (
              <>The account mapping{e.rule_id && <span className="muted"> · rule {e.rule_id}</span>}</>
            )}
          </dd>
          {activity && (
            <>
              <dt>Quantity</dt>
              <dd data-testid="entry-quantity">
                {price !== null ? (
                  <span data-testid="entry-estimate">
                    Estimated from the amount: {formatAmount(e.net_amount)} {e.currency} at {price} {activity.unit_price_currency}{' '}
                    per {unit}
                    <span className="block muted">
                      Price from: {activity.unit_price_source ?? '–'}. Data quality 3: the entry stays in the review queue
                      until someone gives the measured quantity.
                    </span>
                  </span>
                ) : (
                  <>
                    {activity.quantity} {unit}, measured
                  </>
                )}
              </dd>
            </>
          )}
          {e.market_kg_co2e != null && (
            <>
              <dt>Market-based</dt>
              <dd data-testid="entry-market-kg">
                {formatKg(e.market_kg_co2e)}
                {activity?.market_factor != null && (
                  <span className="block muted">
                    Supplier or contract factor {activity.market_factor} kg CO2e per {unit}
                    {activity.market_factor_source ? ` (${activity.market_factor_source})` : ''}; the figure above is
                    location-based, from the grid average.
                  </span>
                )}
              </dd>
            </>
          )}
        </dl>
        {changes.length > 0 && (
          <p className="callout warn" role="note">
            The platform changed this line after the decision: {changes.join('; ')}. Check the decision still holds, then
            accept it again.
          </p>
        )}
      </section>

      <section className="panel" aria-labelledby="entry-decide-title">
        <h2 id="entry-decide-title" className="section-title">
          Decide
        </h2>
        <ReviewActions
          ids={[e.id]}
          what={
            part !== null
              ? 'A person split this line; a new decision replaces the split, for every part of the line.'
              : decision
                ? 'A person decided this entry; a new decision replaces it.'
                : 'No one has decided this entry yet.'
          }
          canInclude={decision !== null}
          currencies={[e.currency]}
          entry={e}
          splitParts={decision?.action === 'split' ? decision.parts : null}
          onDecided={(entries) => {
            // A part that is gone (the line is whole again) hands over to the line's entry.
            const now = entries[0];
            if (now && now.id !== e.id) navigate({ page: 'review', entryId: now.id });
          }}
        />
        {canApply && (
          <div className="form-actions">
            <button type="button" className="button" onClick={() => like.mutate()} disabled={like.isPending} data-testid="apply-to-similar">
              {like.isPending ? 'Finding similar entries…' : 'Apply to similar'}
            </button>
            <span className="small muted">Make a rule that does the same to entries like this one.</span>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="entry-trail-title">
        <h2 id="entry-trail-title" className="section-title">
          From the record to the kilograms
        </h2>
        <table className="table compact calc-table">
          <tbody>
            <tr>
              <th scope="row">Record</th>
              <td className="mono selectable">{e.record_id}</td>
              <td className="small">
                {platforms.streamSingular(e.stream, connection?.provider)} line {e.line_no} · {e.source}
                {connection && <> ({platforms.name(connection.provider)})</>} {connection?.sandbox && <SandboxBadge />}
              </td>
            </tr>
            <tr>
              <th scope="row">Date</th>
              <td>{formatDay(e.date)}</td>
              <td />
            </tr>
            <tr>
              <th scope="row">Supplier</th>
              <td>{e.contact ?? '–'}</td>
              <td className="small">{e.description}</td>
            </tr>
            <tr>
              <th scope="row">Account</th>
              <td>{e.account_code ?? '–'}</td>
              <td className="small">{e.account_name}</td>
            </tr>
            {part !== null ? (
              <>
                <tr>
                  <th scope="row">Line’s net amount (excluding tax)</th>
                  <td className="num mono">
                    {formatAmount(line)} {e.currency}
                  </td>
                  <td className="muted small">as recorded, exactly {line}</td>
                </tr>
                <tr>
                  <th scope="row">× this part’s share</th>
                  <td className="num mono">{e.share_percent} %</td>
                  <td className="muted small">{part}</td>
                </tr>
                <tr>
                  <th scope="row">= this part’s amount</th>
                  <td className="num mono" data-testid="entry-part-amount">
                    {exactAmount(e.net_amount)} {e.currency}
                  </td>
                  <td className="muted small">exactly {e.net_amount}</td>
                </tr>
              </>
            ) : (
              <tr>
                <th scope="row">Net amount (excluding tax)</th>
                <td className="num mono">
                  {formatAmount(e.net_amount)} {e.currency}
                </td>
                <td className="muted small">as recorded, exactly {e.net_amount}</td>
              </tr>
            )}
            {activity ? (
              price !== null ? (
                <>
                  <tr>
                    <th scope="row">÷ price per unit</th>
                    <td className="num mono">
                      {price} {activity.unit_price_currency}/{unit}
                    </td>
                    <td className="muted small">{activity.unit_price_source}</td>
                  </tr>
                  <tr>
                    <th scope="row">= quantity, estimated</th>
                    <td className="num mono">
                      {estimatedQuantity ?? '–'} {unit}
                    </td>
                    <td className="muted small">to a millionth; data quality 3</td>
                  </tr>
                </>
              ) : (
                <tr>
                  <th scope="row">Quantity, measured</th>
                  <td className="num mono">
                    {activity.quantity} {unit}
                  </td>
                  <td className="muted small">in place of the amount</td>
                </tr>
              )
            ) : (
              <>
                <tr>
                  <th scope="row">× exchange rate</th>
                  <td className="num mono">{e.fx_rate !== null ? `${e.fx_rate} USD/${e.currency}` : '–'}</td>
                  <td className="muted small">{e.fx_source ?? (e.factor_set !== null ? 'not used' : '')}</td>
                </tr>
                {usdNominal !== null && (
                  <tr>
                    <th scope="row">= in US dollars</th>
                    <td className="num mono">{formatAmount(usdNominal)} USD</td>
                    <td />
                  </tr>
                )}
                <tr>
                  <th scope="row">× price deflator to 2022</th>
                  <td className="num mono">{e.deflator ?? '–'}</td>
                  <td className="muted small">{e.deflator_source}</td>
                </tr>
                <tr>
                  <th scope="row">= in 2022 US dollars</th>
                  <td className="num mono">{e.amount_usd_2022 !== null ? `${formatAmount(e.amount_usd_2022)} USD` : '–'}</td>
                  <td className="muted small">{e.amount_usd_2022 !== null ? `exactly ${e.amount_usd_2022}` : ''}</td>
                </tr>
              </>
            )}
            <tr>
              <th scope="row">× emission factor</th>
              <td className="num mono">{e.factor_value ?? '–'}</td>
              <td className="small">
                {e.factor_code !== null ? (
                  <>
                    {e.factor_unit}; {e.factor_code} {e.factor_title}
                    <span className="muted block">
                      {e.factor_set} {e.factor_version}
                    </span>
                  </>
                ) : (
                  <span className="muted">No factor: not counted</span>
                )}
              </td>
            </tr>
            <tr className="total-row">
              <th scope="row">{e.market_kg_co2e != null ? '= emissions, location-based' : '= emissions'}</th>
              <td className="num mono strong">{e.kg_co2e !== null ? formatKg(e.kg_co2e) : '–'}</td>
              <td className="muted small">{e.kg_co2e !== null ? `exactly ${e.kg_co2e} · ${scopeLabel(e.scope, e.scope3_category)}` : ''}</td>
            </tr>
            {e.market_kg_co2e != null && (
              <>
                {activity?.market_factor != null && (
                  <tr>
                    <th scope="row">quantity × supplier or contract factor</th>
                    <td className="num mono">
                      {activity.market_factor} kg CO2e/{unit}
                    </td>
                    <td className="muted small">{activity.market_factor_source}</td>
                  </tr>
                )}
                <tr className="total-row">
                  <th scope="row">= emissions, market-based</th>
                  <td className="num mono strong">{formatKg(e.market_kg_co2e)}</td>
                  <td className="muted small">exactly {e.market_kg_co2e}</td>
                </tr>
              </>
            )}
          </tbody>
        </table>
      </section>

      <section className="panel" aria-labelledby="entry-history-title">
        <h2 id="entry-history-title" className="section-title">
          History
        </h2>
        {history.length === 0 ? (
          <p className="muted">No one has decided anything about this entry yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="table compact" data-testid="entry-history">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {history.map((row) => {
                  const words = historyWords(row);
                  return (
                    <tr key={row.id}>
                      <td className="nowrap">{formatDateTime(new Date(row.at_ms).toISOString())}</td>
                      <td>
                        {row.os_user}
                        <span className="muted small block">{row.machine}</span>
                      </td>
                      <td>
                        {words.what}
                        {words.detail && <span className="small block">{words.detail}</span>}
                      </td>
                      <td>
                        {row.reason ?? (words.note ? <span>Note: {words.note}</span> : <span className="muted">–</span>)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
