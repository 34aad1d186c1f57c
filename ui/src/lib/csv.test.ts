import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, safeFileName } from './csv';
// The same table the desktop app's Rust export is tested against.
import table from './csv-formula-cases.json';

describe('csvCell', () => {
  it('has the shared cases to check', () => {
    expect(table.cases.length).toBeGreaterThan(20);
  });

  it.each(table.cases)('writes $why: $input → $output', ({ input, output }) => {
    expect(csvCell(input)).toBe(output);
  });

  it('writes exact decimal amounts digit for digit, negative ones included, as numbers', () => {
    expect(csvCell('-12.50')).toBe('-12.50');
    expect(csvCell('1234.567891')).toBe('1234.567891');
    expect(csvCell('-0.000123')).toBe('-0.000123');
    expect(csvCell('0')).toBe('0');
  });

  it('writes counts given as numbers as they are', () => {
    expect(csvCell(3)).toBe('3');
    expect(csvCell(-42)).toBe('-42');
  });

  it('writes nothing for a missing value', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Number.NEGATIVE_INFINITY)).toBe('');
  });

  it('joins a row with commas', () => {
    expect(csvRow(['2024-03-05', 'Harbour & Pine Ltd', '-104.50', 2, null, 'a, b', '-1 refund'])).toBe(
      '2024-03-05,Harbour & Pine Ltd,-104.50,2,,"a, b",\'-1 refund',
    );
  });
});

describe('safeFileName', () => {
  it('keeps letters, digits, dots and dashes and replaces the rest', () => {
    expect(safeFileName('Harbour & Pine Ltd: 2024/25.csv')).toBe('Harbour-Pine-Ltd-2024-25.csv');
  });

  it('drops accents and never returns an empty name', () => {
    expect(safeFileName('Café Élan')).toBe('Cafe-Elan');
    expect(safeFileName('///')).toBe('export');
  });
});
