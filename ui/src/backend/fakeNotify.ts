// The FakeBackend's notifications: destinations (Slack channels and Teams workflows), what
// was sent to each, incidents, and the monthly report's preview. Written by hand after the
// application's rules and words (crates/core/src/notify.rs and the notifiers of
// crates/providers), because the recording of ./recorded/ holds no notifications:
// - a pasted URL is checked as the application checks it and refused with its words; the
//   sandbox's webhook is offered only while the platform runs on the sandbox;
// - a new destination gets the application's defaults (the report on the 1st at 09:00, every
//   alert kind, every connection), and settings are checked as it checks them;
// - a send always arrives, unless a test queued a refusal with `failNextDelivery`: then the
//   delivery is kept as failed, with the words, and the send rejects with them;
// - the report's figures are the FakeBackend's own totals (see `FakeBackend.esgReport`) and
//   its text is written as the application writes a message's text; its chart is a simple
//   drawing of the report's twelve months, not the application's.

import type { AppError } from '../bindings/AppError';
import type { ChannelOption } from '../bindings/ChannelOption';
import type { ConnectOutcome } from '../bindings/ConnectOutcome';
import type { Delivery } from '../bindings/Delivery';
import type { Destination } from '../bindings/Destination';
import type { DestinationSettings } from '../bindings/DestinationSettings';
import type { Incident } from '../bindings/Incident';
import type { ReportPreview } from '../bindings/ReportPreview';
import { dec } from '../lib/decimal';
import {
  ALERT_KINDS,
  type EsgReport,
  type ReportFigure,
  changeLine,
  reportShare,
  reportTonnes,
} from '../lib/notifications';

/** The Slack workspace of the sandbox's sign-in, and the channels its bot can see. */
export const SLACK_WORKSPACE = 'Harbour & Pine';
export const SLACK_CHANNELS: ReadonlyArray<ChannelOption> = [
  { id: 'C0SANDBOX01', name: 'general', is_private: false, is_member: true },
  { id: 'C0SANDBOX02', name: 'finance', is_private: false, is_member: true },
  { id: 'C0SANDBOX03', name: 'esg-reports', is_private: false, is_member: true },
  { id: 'C0SANDBOX04', name: 'random', is_private: false, is_member: false },
  { id: 'C0SANDBOX06', name: 'esg-steering', is_private: true, is_member: true },
];

/** What the FakeNotifications needs of the FakeBackend around it. */
export interface NotifyHost {
  /** The fake's clock, ms since 1970. */
  nowMs(): number;
  /** Whether the platform runs on the built-in sandbox (no client id of the organisation's own). */
  onSandbox(platform: string): boolean;
  /** The monthly report of `period`, as the application composes it. Throws `usage` for a bad period. */
  report(period: string): EsgReport;
}

function err(code: string, message: string, detail: string | null = null, permanent = true): AppError {
  return { code, message, detail, permanent };
}

export class FakeNotifications {
  private destinations: (Destination & { removed: boolean })[] = [];
  private deliveries: Delivery[] = [];
  private incidentList: Incident[] = [];
  private failures = new Map<number, AppError>();
  private choices = new Map<string, { sandbox: boolean; workspace: string; channels: ChannelOption[] }>();
  private nextDestination = 1;
  private nextDelivery = 1;
  private nextChoice = 1;

  constructor(private readonly host: NotifyHost) {}

  // ---- for tests ------------------------------------------------------------------------

  /** The next send to this destination is refused with `error` (kept in its history as failed). */
  failNextDelivery(destinationId: number, error: AppError): void {
    this.failures.set(destinationId, error);
  }

  /** An incident, as the application opens one when a connection's syncs keep failing. */
  addIncident(incident: Omit<Incident, 'id'>): Incident {
    const i = { ...incident, id: this.incidentList.length + 1 };
    this.incidentList.push(i);
    return { ...i };
  }

  // ---- the Backend's calls ----------------------------------------------------------------

  list(): Destination[] {
    return this.destinations.filter((d) => !d.removed).map(strip);
  }

  history(id: number, limit: number): Delivery[] {
    this.get(id, true);
    return this.deliveries
      .filter((d) => d.destination_id === id)
      .sort((a, b) => b.id - a.id)
      .slice(0, Math.max(0, limit))
      .map((d) => ({ ...d }));
  }

  setSettings(id: number, s: DestinationSettings): Destination {
    const d = this.get(id);
    if (s.report_day !== null && (s.report_day < 1 || s.report_day > 28)) {
      throw err('usage', `The report day must be 1 to 28 (every month has it), not ${s.report_day}.`);
    }
    if (s.report_time !== null && !/^([01]\d|2[0-3]):[0-5]\d$/.test(s.report_time)) {
      throw err('usage', `${JSON.stringify(s.report_time)} is not a time of day: give it as HH:MM, e.g. 09:00.`);
    }
    for (const kind of s.alert_kinds ?? []) {
      if (!(ALERT_KINDS as ReadonlyArray<string>).includes(kind)) {
        throw err('usage', `${JSON.stringify(kind)} is not an alert kind; choose from ${ALERT_KINDS.join(', ')}.`);
      }
    }
    if (s.report_enabled !== null) d.report_enabled = s.report_enabled;
    if (s.report_day !== null) d.report_day = s.report_day;
    if (s.report_time !== null) d.report_time = s.report_time;
    if (s.alert_kinds !== null) d.alert_kinds = [...s.alert_kinds];
    // `null` sends every connection's alerts; a list only those; `undefined` leaves it.
    if (s.alert_connections !== undefined) d.alert_connections = s.alert_connections === null ? null : [...s.alert_connections];
    return strip(d);
  }

  addWebhook(platform: string, url: string, name: string | null, sandbox: boolean): Destination {
    const text = url.trim();
    let defaultName: string;
    if (platform === 'slack') {
      checkSlackWebhook(text, sandbox);
      defaultName = 'Slack incoming webhook';
    } else if (platform === 'teams') {
      checkTeamsUrl(text);
      defaultName = 'Teams workflow';
    } else {
      throw err('usage', `${JSON.stringify(platform)} takes no webhook URL; destinations are slack or teams.`);
    }
    return this.add({
      platform,
      route: 'webhook',
      name: name?.trim() || defaultName,
      workspace_id: null,
      workspace_name: null,
      channel_id: null,
      channel_name: null,
      sandbox,
    });
  }

  addSandbox(platform: string, name: string | null): Destination {
    if (!this.host.onSandbox(platform)) {
      throw err('not_sandbox', `${platform} is set up with your own app: paste a real webhook URL instead of the sandbox's.`);
    }
    // The sandbox's own webhooks, shaped as the real ones (the secret stays in the fake).
    const url =
      platform === 'slack'
        ? 'http://127.0.0.1:4510/slack/hooks/T0SANDBOX01/B0SANDBOX01/sandbox'
        : 'http://127.0.0.1:4510/teams/workflows/0/triggers/manual/paths/invoke?api-version=2016-06-01&sig=sandbox';
    return this.addWebhook(platform, url, name, true);
  }

  remove(id: number): string | null {
    const d = this.get(id);
    d.removed = true;
    return null;
  }

  sendTest(id: number): Delivery {
    const d = this.get(id);
    const at = new Date(this.host.nowMs());
    const summary = [
      `Resolved: syncs work again${d.sandbox ? ' (sandbox)' : ''}: CarbonSync`,
      `This is a test: ${d.name} receives CarbonSync's reports and alerts.`,
      utcTime(at),
    ].join('\n');
    return this.deliver(d, 'test', 'test', summary, false);
  }

  sendReport(id: number, period: string): Delivery {
    const d = this.get(id);
    const report = this.host.report(period);
    return this.deliver(d, 'report', report.period, reportText(report), true);
  }

  preview(period: string): ReportPreview {
    const report = this.host.report(period);
    return {
      report: report as unknown as Record<string, unknown>,
      text: reportText(report),
      chart_png_base64: chartPng(report),
      chart_note: null,
    };
  }

  incidents(openOnly: boolean, limit: number): Incident[] {
    return this.incidentList
      .filter((i) => !openOnly || i.resolved_at_ms === null)
      .sort((a, b) => b.id - a.id)
      .slice(0, Math.max(0, limit))
      .map((i) => ({ ...i }));
  }

  /** A finished Slack sign-in: the channels to choose from, waiting for the person's choice. */
  channelOffer(sandbox: boolean): ConnectOutcome {
    const choice_id = `c${String(this.nextChoice++).padStart(31, '0')}`;
    const channels = SLACK_CHANNELS.map((c) => ({ ...c }));
    this.choices.set(choice_id, { sandbox, workspace: SLACK_WORKSPACE, channels });
    return { kind: 'choose_channel', choice_id, provider: 'slack', workspace: SLACK_WORKSPACE, channels };
  }

  chooseChannel(choiceId: string, channelId: string): Destination {
    const choice = this.choices.get(choiceId);
    if (!choice) throw err('no_such_choice', 'This sign-in is no longer waiting for a choice; connect again.');
    this.choices.delete(choiceId);
    const channel = choice.channels.find((c) => c.id === channelId);
    if (!channel) {
      throw err(
        'no_such_channel',
        'That channel is not one this sign-in can post to; nothing was stored. Connect again and pick one from the list.',
      );
    }
    return this.add({
      platform: 'slack',
      route: 'bot',
      name: `#${channel.name} (${choice.workspace})`,
      workspace_id: 'T0SANDBOX01',
      workspace_name: choice.workspace,
      channel_id: channel.id,
      channel_name: channel.name,
      sandbox: choice.sandbox,
    });
  }

  /** Drops a waiting channel choice; whether there was one. */
  cancelChoice(choiceId: string): boolean {
    return this.choices.delete(choiceId);
  }

  // ---- inside -----------------------------------------------------------------------------

  private add(
    d: Pick<
      Destination,
      'platform' | 'route' | 'name' | 'workspace_id' | 'workspace_name' | 'channel_id' | 'channel_name' | 'sandbox'
    >,
  ): Destination {
    const id = this.nextDestination++;
    const stored = {
      ...d,
      id,
      vault_key: `00000000000000000000000000000000/destination/${String(id).padStart(32, '0')}`,
      report_enabled: true,
      report_day: 1,
      report_time: '09:00',
      alert_kinds: [...ALERT_KINDS],
      alert_connections: null,
      created_at_ms: this.host.nowMs(),
      removed: false,
    };
    this.destinations.push(stored);
    return strip(stored);
  }

  private get(id: number, removedToo = false): Destination & { removed: boolean } {
    const d = this.destinations.find((x) => x.id === id && (removedToo || !x.removed));
    if (!d) throw err('no_such_destination', `There is no destination ${id}; \`carbonsync destinations\` lists them.`);
    return d;
  }

  private deliver(d: Destination, kind: string, subject: string, summary: string, chart: boolean): Delivery {
    const started = this.host.nowMs();
    const failure = this.failures.get(d.id);
    this.failures.delete(d.id);
    const delivery: Delivery = {
      id: this.nextDelivery++,
      destination_id: d.id,
      kind,
      subject,
      trigger: 'manual',
      incident_id: null,
      summary,
      started_at_ms: started,
      finished_at_ms: started + 420,
      status: failure ? 'failed' : 'sent',
      error_code: failure?.code ?? null,
      error_message: failure?.message ?? null,
      message_ref: !failure && d.route === 'bot' ? `${d.channel_id}/${Math.floor(started / 1000)}.000100` : null,
      // As the notifiers carry it: Teams in the card, Slack's app as a file; an incoming
      // webhook carries no image.
      chart_sent: !failure && chart && !(d.platform === 'slack' && d.route === 'webhook'),
      chart_note:
        !failure && chart && d.platform === 'slack' && d.route === 'webhook'
          ? 'The chart is in CarbonSync (an incoming webhook carries no image; connect Slack with the app to have it here)'
          : null,
      calls: d.route === 'bot' && chart ? 2 : 1,
      waited_ms: 0,
    };
    this.deliveries.push(delivery);
    if (failure) throw { ...failure };
    return { ...delivery };
  }
}

function strip(d: Destination & { removed?: boolean }): Destination {
  const { removed: _removed, ...rest } = d;
  return { ...rest, alert_kinds: [...rest.alert_kinds], alert_connections: rest.alert_connections && [...rest.alert_connections] };
}

/** A Slack incoming-webhook URL, as the application checks it. */
function checkSlackWebhook(url: string, sandbox: boolean): void {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  const loopback = parsed !== null && (parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost');
  const ok =
    parsed !== null &&
    (sandbox && loopback
      ? parsed.pathname.includes('/hooks/')
      : parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com' && parsed.pathname.startsWith('/services/'));
  if (!ok) {
    throw err(
      'usage',
      'This is not a Slack incoming-webhook URL. In Slack, open the app\'s Incoming Webhooks page, copy the Webhook URL (https://hooks.slack.com/services/…) and paste it whole.',
    );
  }
}

/** A Teams workflow URL, as the application checks it. */
function checkTeamsUrl(url: string): void {
  const invalid = (why: string) =>
    err(
      'usage',
      `This is not a Teams workflow address: ${why}. In Teams, open the workflow ("When a Teams webhook request is received"), copy its HTTP POST URL and paste it whole`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('it is not a URL');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw invalid('it does not start with https://');
  }
  if (!parsed.searchParams.get('sig')) throw invalid('its signature (sig=…) is missing');
}

const MONTHS_SHORT = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `30 Nov 2024 14:05 UTC`. */
function utcTime(at: Date): string {
  const hh = String(at.getUTCHours()).padStart(2, '0');
  const mm = String(at.getUTCMinutes()).padStart(2, '0');
  return `${at.getUTCDate()} ${MONTHS_SHORT[at.getUTCMonth()]} ${at.getUTCFullYear()} ${hh}:${mm} UTC`;
}

/** The message's plain text, line by line as the application writes it. */
export function reportText(r: EsgReport): string {
  const figures = (list: ReportFigure[]) =>
    list.length === 0 ? 'none' : list.map((f) => `${f.label} (${reportTonnes(f.t_co2e)})`).join(', ');
  const lines = [
    `Emissions report · ${r.period_label}${r.sandbox ? ' (sandbox)' : ''}`,
    `Total: ${reportTonnes(r.total_t_co2e)} (spend-based ${reportTonnes(r.spend_based_t_co2e)}, reported by providers ${reportTonnes(r.reported_t_co2e)})`,
    `By scope: ${r.by_scope.map((f) => `${f.label}: ${reportTonnes(f.t_co2e)}`).join(' · ')}`,
    `Month on month: ${changeLine(r.vs_previous_month)}`,
    `Year on year: ${changeLine(r.vs_year_before)}`,
    `Largest categories: ${figures(r.top_categories)}`,
    `Largest suppliers: ${figures(r.top_suppliers)}`,
    `Share: ${reportShare(r.spend_based_percent)} spend-based, ${reportShare(r.reported_percent)} reported by providers`,
  ];
  if (r.unmapped_entries > 0) {
    const n = r.unmapped_entries === 1 ? '1 entry to review' : `${r.unmapped_entries} entries to review`;
    lines.push(`${n}: no emission factor yet, so not counted above; open CarbonSync → Emissions to map them.`);
  }
  if (r.overlap_note) lines.push(`Overlap: ${r.overlap_note}`);
  lines.push(r.method);
  return lines.join('\n');
}

// ---- the chart: a small indexed PNG, written by hand -------------------------------------

const WIDTH = 360;
const HEIGHT = 180;
/** Background, grid, Scope 1, Scope 2, Scope 3 (the window's scope colours). */
const PALETTE = [
  [255, 255, 255],
  [223, 227, 222],
  [196, 88, 28],
  [201, 154, 18],
  [44, 122, 95],
];

/** The report's twelve months as stacked bars by scope, base64 PNG. */
export function chartPng(r: EsgReport): string {
  const pixels = new Uint8Array(WIDTH * HEIGHT);
  const totals = r.chart.map((m) => m.by_scope.reduce((s, t) => s.plus(dec(t).abs()), dec('0')));
  const max = totals.reduce((a, b) => (b.gt(a) ? b : a), dec('0'));
  const top = 10;
  const bottom = HEIGHT - 10;
  for (let y = top; y <= bottom; y += Math.round((bottom - top) / 4)) pixels.fill(1, y * WIDTH + 10, y * WIDTH + WIDTH - 10);
  const slot = Math.floor((WIDTH - 20) / Math.max(1, r.chart.length));
  r.chart.forEach((m, i) => {
    let y = bottom;
    m.by_scope.forEach((t, s) => {
      const h = max.gt(0) ? Math.round(dec(t).abs().div(max).times(bottom - top).toNumber()) : 0;
      for (let row = y - h; row < y; row++) {
        const x0 = 10 + i * slot + Math.floor(slot * 0.2);
        pixels.fill(2 + s, row * WIDTH + x0, row * WIDTH + x0 + Math.floor(slot * 0.6));
      }
      y -= h;
    });
  });
  return base64(png(pixels));
}

function png(pixels: Uint8Array): Uint8Array {
  const raw = new Uint8Array(HEIGHT * (WIDTH + 1));
  for (let y = 0; y < HEIGHT; y++) raw.set(pixels.subarray(y * WIDTH, (y + 1) * WIDTH), y * (WIDTH + 1) + 1);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, WIDTH);
  view.setUint32(4, HEIGHT);
  ihdr.set([8, 3, 0, 0, 0], 8);
  return concat([
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('PLTE', new Uint8Array(PALETTE.flat())),
    chunk('IDAT', zlibStored(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A zlib stream of stored (uncompressed) deflate blocks. */
function zlibStored(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x78, 0x01])];
  let at = 0;
  do {
    const block = data.subarray(at, at + 65535);
    at += block.length;
    const last = at >= data.length ? 1 : 0;
    const n = block.length;
    parts.push(new Uint8Array([last, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff]));
    parts.push(block);
  } while (at < data.length);
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  const adler = new Uint8Array(4);
  new DataView(adler.buffer).setUint32(0, ((b << 16) | a) >>> 0);
  parts.push(adler);
  return concat(parts);
}

let CRC_TABLE: Uint32Array | null = null;

function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
