import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderApp } from '../test/render';

describe('the Connection page', () => {
  it('shows the organisation, its platform and that it runs on the sandbox', async () => {
    renderApp({ hash: '#/connections/1' });
    const page = await screen.findByTestId('page-connection');
    expect(await within(page).findByRole('heading', { level: 1 })).toHaveTextContent('Harbour & Pine Ltd');
    expect(within(page).getAllByText('Sandbox').length).toBeGreaterThan(0);
    expect(screen.getByTestId('status-1')).toHaveTextContent('Connected');
  });

  it('lists one history row per run, newest first, with counts', async () => {
    renderApp({ hash: '#/connections/1' });
    const history = await screen.findByTestId('history');
    const runs = within(history)
      .getAllByRole('row')
      .filter((r) => r.getAttribute('data-testid')?.startsWith('run-') && !r.getAttribute('data-testid')?.startsWith('run-error'));
    expect(runs).toHaveLength(5);
    expect(runs[runs.length - 1]).toHaveTextContent('Full');
  });

  it('explains a failed run in words and keeps the technical detail behind a toggle', async () => {
    const user = userEvent.setup();
    renderApp({ hash: '#/connections/1' });
    const error = await screen.findByTestId('run-error-3');
    expect(error).toHaveTextContent('The platform is limiting how fast CarbonSync may read');
    expect(within(error).queryByText(/RateLimited/)).not.toBeInTheDocument();
    await user.click(within(error).getByRole('button', { name: 'Technical details' }));
    expect(within(error).getByText(/RateLimited/)).toBeInTheDocument();
  });

  it('shows where the next sync starts for each kind of record', async () => {
    renderApp({ hash: '#/connections/1' });
    const cursors = await screen.findByTestId('cursors');
    expect(cursors).toHaveTextContent('Bank transactions');
    expect(cursors).toHaveTextContent('Bills');
  });

  it('saves a new sync frequency at once', async () => {
    const user = userEvent.setup();
    const { backend } = renderApp({ hash: '#/connections/1' });
    const select = await screen.findByTestId('frequency-1');
    expect(select).toHaveValue('hourly');
    await user.selectOptions(select, '6h');
    await waitFor(async () => expect((await backend.listConnections())[0]!.frequency).toBe('6h'));
    await waitFor(() => expect(screen.getByTestId('frequency-1')).toHaveValue('6h'));
  });

  it('says when the connection no longer exists', async () => {
    renderApp({ hash: '#/connections/42' });
    expect(await screen.findByText('This connection no longer exists')).toBeInTheDocument();
  });
});
