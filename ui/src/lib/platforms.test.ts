import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../backend/fakeData';
import type { ProviderView } from '../bindings/ProviderView';
import { isKeyed, reportsEmissions } from './cloud';
import { MARK_COLOURS, markColour, monogram, orList, platformsFrom, streamWords } from './platforms';

const XERO = CATALOGUE.find((p) => p.id === 'xero')!;

/** A platform the built-in catalogue does not have, as the application would list it. */
const ACME: ProviderView = {
  ...XERO,
  id: 'acme',
  name: 'Acme Books',
  docs_url: null,
  streams: [
    { name: 'receipts', label: 'Expense receipts', short: 'Receipt', singular: 'Expense receipt' },
    { name: 'bills', label: 'Purchase bills', short: 'Purchase', singular: 'Purchase bill' },
  ],
};

describe('platforms as the application lists them', () => {
  const platforms = platformsFrom([...CATALOGUE, ACME]);

  it('names each platform as the list does, and an unknown one by its id', () => {
    expect(platforms.name('xero')).toBe('Xero');
    expect(platforms.name('quickbooks')).toBe('QuickBooks Online');
    expect(platforms.name('acme')).toBe('Acme Books');
    expect(platforms.name('ledgerline')).toBe('ledgerline');
    // Before the list has arrived.
    expect(platformsFrom(undefined).name('xero')).toBe('xero');
  });
  it('gives a stream\'s short word and one record\'s name as the platform gives them', () => {
    expect(platforms.streamShort('receipts', 'acme')).toBe('Receipt');
    expect(platforms.streamSingular('receipts', 'acme')).toBe('Expense receipt');
    expect(platforms.streamShort('bills', 'acme')).toBe('Purchase');
    expect(platforms.streamShort('bills', 'xero')).toBe('Bill');
    expect(platforms.streamSingular('expense_claims')).toBe('Expense claims');
  });


  it("labels a stream as its own platform does, even when another labels a stream of that name differently", () => {
    expect(platforms.streamLabel('bills', 'xero')).toBe('Bills');
    expect(platforms.streamLabel('bills', 'acme')).toBe('Purchase bills');
    expect(platforms.streamLabel('receipts', 'acme')).toBe('Expense receipts');
    expect(platforms.streamLabel('credit_notes', 'xero')).toBe('Supplier credit notes');
  });

  it("falls back to another platform's label, then to the stream's name in words", () => {
    expect(platforms.streamLabel('receipts')).toBe('Expense receipts');
    expect(platforms.streamLabel('bank_transactions', 'quickbooks')).toBe('Bank transactions');
    expect(platforms.streamLabel('expense_claims', 'acme')).toBe('Expense claims');
    expect(streamWords('purchase_orders')).toBe('Purchase orders');
  });

  it("orders streams as the platform's connector reads them, unknown ones last", () => {
    const order = ['credit_notes', 'zzz', 'accounts', 'bills', 'bank_transactions'].sort(
      (a, b) => Math.min(platforms.streamOrder(a, 'xero'), 99) - Math.min(platforms.streamOrder(b, 'xero'), 99),
    );
    expect(order).toEqual(['accounts', 'bank_transactions', 'bills', 'credit_notes', 'zzz']);
  });

  it('lists the platforms that can be connected today', () => {
    const today = ['Xero', 'QuickBooks Online', 'Amazon Web Services', 'Microsoft Azure', 'Google Cloud', 'Salesforce'];
    expect(platforms.available.map((p) => p.name)).toEqual([...today, 'Acme Books']);
    expect(platformsFrom(CATALOGUE).available.map((p) => p.name)).toEqual(today);
    expect(platformsFrom(CATALOGUE.map((p) => ({ ...p, available: p.id === 'gcp' }))).available.map((p) => p.name)).toEqual(['Google Cloud']);
  });

  it('tells the platforms that report their own emissions (cloud and CRM) from those that bring spending or none', () => {
    const today = platformsFrom(CATALOGUE).available;
    expect(today.filter(reportsEmissions).map((p) => p.name)).toEqual([
      'Amazon Web Services',
      'Microsoft Azure',
      'Google Cloud',
      'Salesforce',
    ]);
    // Of those, the ones connected with keys rather than a sign-in in the browser.
    expect(today.filter((p) => reportsEmissions(p) && isKeyed(p)).map((p) => p.id)).toEqual(['aws', 'azure', 'gcp']);
    expect(CATALOGUE.filter((p) => !reportsEmissions(p)).map((p) => p.id)).toEqual(['xero', 'quickbooks', 'slack', 'teams']);
  });

  it('joins names as a sentence does', () => {
    expect(orList(['Xero'])).toBe('Xero');
    expect(orList(['Xero', 'Acme Books'])).toBe('Xero or Acme Books');
    expect(orList(['Xero', 'Acme Books', 'Ledgerline'])).toBe('Xero, Acme Books or Ledgerline');
  });
});

describe('the tile of a platform', () => {
  it('takes its letters from the name', () => {
    expect(monogram('Xero')).toBe('X');
    expect(monogram('Acme Books')).toBe('AB');
    expect(monogram('QuickBooks Online')).toBe('QBO');
    expect(monogram('Amazon Web Services')).toBe('AWS');
    expect(monogram('Microsoft Teams')).toBe('MT');
    expect(monogram('AWS')).toBe('AWS');
    expect(monogram('sage business cloud accounting')).toBe('SBC');
    expect(monogram('Dynamics 365')).toBe('D');
    expect(monogram('—')).toBe('?');
  });

  it('has a colour that depends only on the id', () => {
    expect(markColour('acme')).toBe(markColour('acme'));
    for (const p of CATALOGUE) expect(MARK_COLOURS).toContain(markColour(p.id));
    // Spread over the palette rather than one colour for all.
    expect(new Set(CATALOGUE.map((p) => markColour(p.id))).size).toBeGreaterThanOrEqual(4);
  });

  it('keeps its white letters readable on every colour (contrast of at least 4.5:1)', () => {
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) =>
        v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4,
      ) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (const c of MARK_COLOURS) expect((1 + 0.05) / (luminance(c) + 0.05)).toBeGreaterThanOrEqual(4.5);
  });
});
