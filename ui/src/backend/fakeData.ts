// What the FakeBackend and the tests take from the recording of the application
// (./recorded/): the platform catalogue and the emission method, by the names the tests know.
// Nothing here is written by hand.

import type { ProviderView } from '../bindings/ProviderView';
import { RECORDED } from './recorded';

/**
 * The application's built-in catalogue as `list_providers` answers on the sandbox: Xero and
 * QuickBooks Online can be connected (each with its streams, in the order its connector reads
 * them), and so can AWS, Azure and Google Cloud (with keys; they list no streams) and
 * Salesforce (signed in like Xero; its footprints are reported rows, not streams); and Slack
 * and Microsoft Teams, which CarbonSync sends reports and alerts to (they read no streams). `connections` is as recorded, one each for
 * Xero and QuickBooks Online; the FakeBackend counts its own.
 */
export const CATALOGUE: ReadonlyArray<ProviderView> = RECORDED.providers;

/** The factor set, version and unit of the counted entries, as the ledger names them. */
const counted = RECORDED.ledger.entries.find((e) => e.status === 'counted');
if (!counted) throw new Error('The recorded ledger has no counted entry');
export const FACTOR_SET: string = counted.factor_set ?? '';
export const FACTOR_VERSION: string = counted.factor_version ?? '';
export const FACTOR_UNIT: string = counted.factor_unit ?? '';

/** How the emissions were worked out, in the application's words (`EmissionsSummary.method`). */
export const METHOD: string = RECORDED.emissions[0]!.summary.method;
