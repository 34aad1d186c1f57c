import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../backend/fake';
import { CLOUD_SAMPLE, reportedGroupsOf, reportedTotalsOf } from '../backend/fakeCloud';
import { RECORDED } from '../backend/recorded';
import { EMPTY_REPORTED_FILTER } from '../backend/types';
import type { ReportedRow } from '../bindings/ReportedRow';
import { formatKg } from '../lib/format';
import { renderApp } from '../test/render';

const NOW = Date.parse('2025-01-15T12:00:00Z');

/** A window whose Google Cloud sandbox account is connected with the form and synced. */
async function connectedGcp(options: Parameters<typeof renderApp>[0] = {}) {
  const user = userEvent.setup();
  const view = renderApp({ hash: '#/integrations', ...options });
  await user.click(await screen.findByTestId('connect-gcp'));
  const dialog = await screen.findByTestId('cloud-connect-gcp');
  await user.click(within(dialog).getByTestId('cloud-use-sandbox'));
  await waitFor(() => expect(screen.queryByTestId('cloud-connect-gcp')).not.toBeInTheDocument());
  const account = CLOUD_SAMPLE.accounts.gcp!;
  await screen.findByText(account.connection.tenant_name);
  return { user, ...view, account };
}

describe('connecting a cloud platform with keys', () => {
  it('builds the form from the platform fields: labels, help, secrets as password fields, optional marked', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/integrations' });
    await user.click(await screen.findByTestId('connect-aws'));
    const dialog = await screen.findByTestId('cloud-connect-aws');
    const secret = await within(dialog).findByTestId('cloud-field-secret_access_key');
    expect(secret).toHaveAttribute('type', 'password');
    expect(within(dialog).getByTestId('cloud-field-access_key_id')).toHaveAttribute('type', 'text');
    expect(within(dialog).getByLabelText(/Access key ID/)).toHaveTextContent('');
    expect(within(dialog).getAllByText('(optional)').length).toBe(RECORDED.cloudFields.aws!.filter((f) => f.optional).length);
    // What Cost Explorer costs, as the help says.
    expect(dialog).toHaveTextContent('Each Cost Explorer request costs USD 0.01');
    expect(within(dialog).getByTestId('cloud-use-sandbox')).toBeInTheDocument();
  });

  it('says which field is missing, and shows a refusal in the words returned without echoing the secret', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/integrations' });
    await user.click(await screen.findByTestId('connect-azure'));
    const dialog = await screen.findByTestId('cloud-connect-azure');
    await user.type(await within(dialog).findByTestId('cloud-field-tenant_id'), 'contoso');
    await user.click(within(dialog).getByTestId('cloud-connect-submit'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Application (client) ID is needed to connect.');
    await user.type(within(dialog).getByTestId('cloud-field-client_id'), 'app');
    await user.type(within(dialog).getByTestId('cloud-field-client_secret'), 'hunter2-secret');
    await user.click(within(dialog).getByTestId('cloud-connect-submit'));
    // Typed keys go to Azure itself, which names itself without "(sandbox)".
    const refusal = CLOUD_SAMPLE.refused.azure!.message.replace('Microsoft Azure (sandbox)', 'Microsoft Azure');
    expect(refusal).toMatch(/^Microsoft Azure refused these credentials: /);
    await waitFor(() => expect(within(dialog).getByRole('alert')).toHaveTextContent(refusal));
    expect(document.body.textContent).not.toContain('hunter2-secret');
    expect(screen.queryByText('Contoso')).not.toBeInTheDocument();
  });

  it('sends typed keys to the provider itself, never to the sandbox', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/integrations' });
    const connectCloud = vi.spyOn(backend, 'connectCloud');
    await user.click(await screen.findByTestId('connect-azure'));
    const dialog = await screen.findByTestId('cloud-connect-azure');
    await user.type(await within(dialog).findByTestId('cloud-field-tenant_id'), 'contoso');
    await user.type(within(dialog).getByTestId('cloud-field-client_id'), 'app');
    await user.type(within(dialog).getByTestId('cloud-field-client_secret'), 'hunter2-secret');
    await user.click(within(dialog).getByTestId('cloud-connect-submit'));
    await waitFor(() => expect(connectCloud).toHaveBeenCalledTimes(1));
    expect(connectCloud).toHaveBeenCalledWith('azure', { tenant_id: 'contoso', client_id: 'app', client_secret: 'hunter2-secret' }, false);
    // Refused, the form stays open with what was typed.
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Microsoft Azure refused these credentials');
    expect(within(dialog).getByTestId('cloud-field-tenant_id')).toHaveValue('contoso');
  });

  it("connects the sandbox's account with an empty form, whatever was typed, from a button always shown", async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/integrations' });
    const connectCloud = vi.spyOn(backend, 'connectCloud');
    await user.click(await screen.findByTestId('connect-gcp'));
    const dialog = await screen.findByTestId('cloud-connect-gcp');
    await user.type(await within(dialog).findByTestId('cloud-field-table'), 'my-project.carbon.export');
    await user.click(within(dialog).getByTestId('cloud-use-sandbox'));
    await waitFor(() => expect(screen.queryByTestId('cloud-connect-gcp')).not.toBeInTheDocument());
    expect(connectCloud.mock.calls).toEqual([['gcp', {}, true]]);
    const card = screen.getByTestId('card-gcp');
    expect(await within(card).findByText(CLOUD_SAMPLE.accounts.gcp!.connection.tenant_name)).toBeInTheDocument();
    expect(within(card).getByText('Sandbox')).toBeInTheDocument();
  });

  it("connects the sandbox's own account with an empty form, then syncs it", async () => {
    const { backend, account } = await connectedGcp();
    await waitFor(async () => {
      const months = await (backend as FakeBackend).cloudMonths(null);
      expect(months.length).toBe(account.months.length);
    });
  });
});

describe('the Cloud page', () => {
  it('says what to do when no platform that reports emissions is connected, naming each', async () => {
    renderApp({ hash: '#/cloud' });
    expect(await screen.findByText('No platform that reports emissions is connected')).toBeInTheDocument();
    expect(
      screen.getByText(/^Connect Amazon Web Services, Microsoft Azure, Google Cloud or Salesforce to see the emissions it reports\./),
    ).toBeInTheDocument();
  });

  it("shows what a Salesforce org reported beside the cloud accounts, named as Salesforce, with no months of its own", async () => {
    const { user, backend } = await connectedGcp();
    await user.click(screen.getByTestId('connect-salesforce'));
    const org = await within(screen.getByTestId('card-salesforce')).findByText('CarbonSync Demo Group');
    const salesforce = (await backend.listConnections()).find((c) => c.provider === 'salesforce')!;
    expect(org).toBeInTheDocument();
    // A stationary-asset footprint as the application imports it: tonnes as published, the
    // org as the account, the record as the grouping, no region.
    const row: ReportedRow = {
      connection_id: salesforce.id,
      source: 'Salesforce Net Zero Cloud',
      platform: 'salesforce',
      row_key: 'StnryAssetCrbnFtprnt|0vR8d0000000001EAA|1',
      month: '2024-11',
      account: salesforce.tenant_id,
      account_name: null,
      service: 'Stationary assets',
      region: null,
      grouping: '0vR8d0000000001EAA',
      scope: 1,
      scope3_category: null,
      basis: null,
      kg_co2e: '12345.600000',
      reported_value: '12.3456',
      reported_unit: 'tCO2e',
      method: 'Salesforce Net Zero Cloud footprint',
      model_version: null,
      period_end: '2024-12-31',
      source_url: 'https://carbonsync-demo.my.salesforce.com/0vR8d0000000001EAA',
      first_synced_at: '2025-01-15T12:00:00.000Z',
      updated_at: '2025-01-15T12:00:00.000Z',
      restatements: 0,
    };
    // As the application answers once the org is synced (the stand-in's sync of it reads nothing).
    const rows = backend.cloudRows.bind(backend);
    vi.spyOn(backend, 'cloudRows').mockImplementation(async (filter, offset, limit) => {
      if (filter.connection_id === salesforce.id) return [row];
      const theirs = await rows(filter, offset, limit);
      return filter.connection_id === null ? [row, ...theirs] : theirs;
    });
    const emissions = backend.cloudEmissions.bind(backend);
    vi.spyOn(backend, 'cloudEmissions').mockImplementation(async (filter, by) =>
      filter.connection_id === salesforce.id
        ? {
            totals: reportedTotalsOf([row]),
            by,
            groups: reportedGroupsOf([row], by, () => 'salesforce: CarbonSync Demo Group'),
            overlaps: [
              {
                connection_id: salesforce.id,
                month: row.month,
                scope: 3,
                scope3_category: 1,
                reported_kg_co2e: '11475.8',
                spend_based_kg_co2e: '9210.5',
              },
            ],
          }
        : emissions(filter, by),
    );

    await user.click(screen.getByTestId('nav-cloud'));
    const filter = await screen.findByTestId('cloud-filter-connection');
    expect([...filter.querySelectorAll('option')].map((o) => o.textContent)).toEqual([
      'All connections',
      'Google Cloud carbon export cedar-finch-carbon.carbon_footprint_export.carbon_footprint (Google Cloud, Sandbox)',
      'CarbonSync Demo Group (Salesforce, Sandbox)',
    ]);
    // Every connection together: the cloud months are there.
    expect(await screen.findByTestId('cloud-months')).toBeInTheDocument();
    const first = within(await screen.findByTestId('cloud-rows')).getAllByRole('row')[1]!;
    expect([...first.querySelectorAll('td')].map((td) => td.textContent)).toEqual([
      'Nov 2024until 2024-12-31',
      'Salesforce',
      salesforce.tenant_id,
      'Stationary assetsrecord 0vR8d0000000001EAA',
      '–',
      'Scope 1',
      'same under both',
      '12.3456 tCO2e',
      formatKg('12345.6'),
      '–',
      '–',
    ]);

    // The record it comes from, and where it opens in Salesforce.
    expect(within(first).getByTestId('row-source')).toHaveAttribute(
      'title',
      'https://carbonsync-demo.my.salesforce.com/0vR8d0000000001EAA',
    );

    // The org alone: its service, no region, and no months, which only the cloud platforms publish.
    await user.selectOptions(filter, String(salesforce.id));
    await waitFor(() => expect(screen.getByTestId('cloud-by-service')).toHaveTextContent('Stationary assets'));
    expect(screen.getByTestId('cloud-by-region')).toHaveTextContent('No region');
    expect(screen.getByTestId('cloud-total-location')).toHaveTextContent(formatKg('12345.6'));
    expect(screen.queryByRole('heading', { name: 'By month' })).not.toBeInTheDocument();
    // What the org reports and the books estimate for the same month and category: side by side.
    const overlaps = await screen.findByTestId('cloud-overlaps');
    const overlap = within(overlaps).getAllByRole('row')[1]!;
    expect([...overlap.querySelectorAll('td')].map((td) => td.textContent)).toEqual([
      row.month,
      'Scope 3, category 1',
      'CarbonSync Demo Group (Salesforce, Sandbox)',
      formatKg('11475.8'),
      formatKg('9210.5'),
    ]);
    expect(screen.getByTestId('page-cloud').textContent).not.toMatch(/null|undefined|cloud connection/);
  });

  it('shows the reported total under both bases, each naming its basis, equal to the sum of the rows', async () => {
    const { user, account } = await connectedGcp();
    await user.click(screen.getByTestId('nav-cloud'));
    const expected = reportedTotalsOf(account.rows);
    await waitFor(() => expect(screen.getByTestId('cloud-total-location')).toHaveTextContent(formatKg(expected.location_kg_co2e)));
    expect(screen.getByTestId('cloud-total-market')).toHaveTextContent(formatKg(expected.market_kg_co2e));
    const totals = screen.getByTestId('cloud-total');
    expect(totals).toHaveTextContent('Reported, location-based');
    expect(totals).toHaveTextContent('Reported, market-based');
    // By service and by region, with both bases as columns.
    const byService = screen.getByTestId('cloud-by-service');
    expect(byService).toHaveTextContent('kg CO2e, location-based');
    expect(byService).toHaveTextContent('kg CO2e, market-based');
    expect(screen.getByTestId('cloud-by-region')).toHaveTextContent(account.rows[0]!.region!);
  });

  it('lists pending months as pending with the day they are expected, never as zero', async () => {
    const { user, account } = await connectedGcp();
    await user.click(screen.getByTestId('nav-cloud'));
    const pending = account.months.find((m) => m.state === 'pending')!;
    const months = await screen.findByTestId('cloud-months');
    const row = within(months)
      .getAllByRole('row')
      .find((r) => r.getAttribute('data-testid')?.endsWith(`-${pending.month}`))!;
    // Google Cloud publishes a month by the 15th of the next.
    await waitFor(() => expect(row).toHaveTextContent(/Pending, expected by 15 \w+ \d{4}/));
    expect(row).toHaveTextContent('not yet published');
    expect(row).not.toHaveTextContent('0.0 kg CO2e');
  });

  it('traces figures to the rows as published: unit, model version, basis', async () => {
    const { user, account } = await connectedGcp();
    await user.click(screen.getByTestId('nav-cloud'));
    const rows = await screen.findByTestId('cloud-rows');
    const first = account.rows[0]!;
    expect(rows).toHaveTextContent(`${first.reported_value} ${first.reported_unit}`);
    expect(rows).toHaveTextContent('Model version');
    expect(rows).toHaveTextContent('Google Cloud');
    // Picking a service narrows the rows to it.
    const service = account.rows.find((r) => r.service !== first.service)?.service ?? first.service;
    await user.click(within(screen.getByTestId('cloud-by-service')).getByRole('button', { name: service }));
    await waitFor(() => {
      const services = within(screen.getByTestId('cloud-rows'))
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.querySelectorAll('td')[3]?.textContent);
      expect(new Set(services)).toEqual(new Set([service]));
    });
  });

  it('switches a supplier rule off and adds one', async () => {
    const { user } = await connectedGcp();
    await user.click(screen.getByTestId('nav-cloud'));
    const list = await screen.findByTestId('supplier-rules');
    const first = CLOUD_SAMPLE.rules[0]!;
    const toggle = within(list).getByTestId(`rule-${first.id}`);
    expect(toggle).toBeChecked();
    await user.click(toggle);
    await waitFor(() => expect(within(screen.getByTestId('supplier-rules')).getByTestId(`rule-${first.id}`)).not.toBeChecked());
    await user.type(screen.getByTestId('rule-pattern'), 'Alphabet Cloud Ltd');
    await user.selectOptions(screen.getByTestId('rule-platform'), 'gcp');
    await user.click(screen.getByTestId('rule-add'));
    expect(await screen.findByText('Alphabet Cloud Ltd')).toBeInTheDocument();
  });

  it("shows the words that keep a supplier's other products out, and adds a rule with them", async () => {
    const { user, backend } = await connectedGcp();
    const addSupplierRule = vi.spyOn(backend, 'addSupplierRule');
    await user.click(screen.getByTestId('nav-cloud'));
    const list = await screen.findByTestId('supplier-rules');
    // Google Cloud's shipped rules leave Workspace out; AWS's have no such words.
    const gcp = CLOUD_SAMPLE.rules.find((r) => r.platform === 'gcp' && r.unless)!;
    const aws = CLOUD_SAMPLE.rules.find((r) => r.platform === 'aws')!;
    expect(gcp.unless).toBe('Workspace');
    const line = (id: number) => within(list).getByTestId(`rule-${id}`).closest('li')!;
    expect(line(gcp.id)).toHaveTextContent(`Supplier name contains ${gcp.pattern} → Google Cloud (unless the line says Workspace)`);
    expect(line(aws.id)).not.toHaveTextContent('unless');

    expect(screen.getByLabelText('Unless the line says (optional)')).toBe(screen.getByTestId('rule-unless'));
    await user.type(screen.getByTestId('rule-pattern'), 'Alphabet Cloud Ltd');
    await user.type(screen.getByTestId('rule-unless'), ' Workspace Maps ');
    await user.selectOptions(screen.getByTestId('rule-platform'), 'gcp');
    await user.click(screen.getByTestId('rule-add'));
    await waitFor(() => expect(within(screen.getByTestId('supplier-rules')).getByText('Alphabet Cloud Ltd')).toBeInTheDocument());
    expect(addSupplierRule).toHaveBeenCalledWith('gcp', 'Alphabet Cloud Ltd', 'Workspace Maps');
    const added = within(screen.getByTestId('supplier-rules')).getByText('Alphabet Cloud Ltd').closest('li')!;
    expect(added).toHaveTextContent('(unless the line says Workspace Maps)');
    expect(added).toHaveTextContent('Added by you');
    expect(screen.getByTestId('rule-unless')).toHaveValue('');

    // Left empty, no words are sent.
    await user.type(screen.getByTestId('rule-pattern'), 'Amazon Web Services EMEA');
    await user.selectOptions(screen.getByTestId('rule-platform'), 'aws');
    await user.click(screen.getByTestId('rule-add'));
    await waitFor(() => expect(addSupplierRule).toHaveBeenLastCalledWith('aws', 'Amazon Web Services EMEA', null));
  });

  it('says by how much the location-based total is short when Scope 2 is published market-based only, and not otherwise', async () => {
    const backend = new FakeBackend({ entriesPerOrg: 300, now: NOW });
    const { user } = await connectedGcp({ backend });
    await user.click(screen.getByTestId('nav-cloud'));
    await screen.findByTestId('cloud-total-location');
    // Google Cloud publishes both bases.
    expect(screen.queryByTestId('cloud-total-market-only')).not.toBeInTheDocument();
    expect(screen.getByTestId('cloud-total')).not.toHaveTextContent('market-based only');

    // As the application answers once an account that publishes one market-based Scope 2
    // number (Microsoft Azure) is connected too.
    const answer = backend.cloudEmissions.bind(backend);
    vi.spyOn(backend, 'cloudEmissions').mockImplementation(async (filter, by) => {
      const s = await answer(filter, by);
      return { ...s, totals: { ...s.totals, scope2_market_only_kg_co2e: '1234.56' } };
    });
    await user.selectOptions(screen.getByTestId('cloud-filter-scope'), '2');
    const note = await screen.findByTestId('cloud-total-market-only');
    expect(note).toHaveTextContent('Scope 2 market-based only');
    expect(note).toHaveTextContent(formatKg('1234.56'));
    expect(note).toHaveTextContent('the location-based total is short by this much');
  });
});

describe('the Emissions page beside the reported figures', () => {
  it('shows spend-based and reported totals side by side, each with its basis', async () => {
    const { user, account } = await connectedGcp();
    await user.click(screen.getByTestId('nav-emissions'));
    // The Emissions page is loaded when first opened, and adds up the whole ledger.
    const beside = await screen.findByTestId('reported-beside', {}, { timeout: 5000 });
    const expected = reportedTotalsOf(account.rows);
    await waitFor(() => expect(within(beside).getByTestId('beside-reported-location')).toHaveTextContent(formatKg(expected.location_kg_co2e)));
    expect(beside).toHaveTextContent('Estimated, spend-based');
    expect(beside).toHaveTextContent('Reported, market-based');
    expect(within(beside).getByTestId('beside-spend').textContent).toBe(screen.getByTestId('total-kg').textContent);
    // Each platform that reports its own emissions, named as the application names it.
    expect(beside).toHaveTextContent(
      'Reported figures are what Amazon Web Services, Microsoft Azure, Google Cloud or Salesforce published for your accounts and organisations',
    );
    expect(within(beside).getByRole('link', { name: 'See the reported figures' })).toHaveAttribute('href', '#/cloud');
  });

  it('the fake sums the same rows the rows table lists', async () => {
    const backend = new FakeBackend({ now: NOW });
    await backend.connectCloud('gcp', {}, true);
    const summary = await backend.cloudEmissions(EMPTY_REPORTED_FILTER, 'service');
    expect(summary.totals.rows).toBe(0);
  });
});
