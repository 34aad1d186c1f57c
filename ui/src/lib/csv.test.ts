import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, safeFileName } from './csv';

describe('csvCell', () => {
  it('leaves plain text and numbers as they are', () => {
    expect(csvCell('Rent')).toBe('Rent');
    expect(csvCell(1234.5)).toBe('1234.5');
    expect(csvCell(-29.2)).toBe('-29.2');
  });

  it('writes nothing for a missing value', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('quotes text with commas, quotes or line breaks, doubling the quotes', () => {
    expect(csvCell('Light, Power, Heating')).toBe('"Light, Power, Heating"');
    expect(csvCell('the "Quayside" Kitchen')).toBe('"the ""Quayside"" Kitchen"');
    expect(csvCell('line one\nline two')).toBe('"line one\nline two"');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+44 20 7946 0000')).toBe("'+44 20 7946 0000");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-10 discount')).toBe("'-10 discount");
  });

  it('keeps leading and trailing spaces by quoting', () => {
    expect(csvCell(' padded ')).toBe('" padded "');
  });

  it('joins a row with commas', () => {
    expect(csvRow(['2024-03-05', 'Harbour & Pine Ltd', 104.5, null, 'a, b'])).toBe('2024-03-05,Harbour & Pine Ltd,104.5,,"a, b"');
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
