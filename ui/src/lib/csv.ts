// Text that goes into a CSV file or onto the clipboard for a spreadsheet.

import { isPlainDecimal } from './decimal';

/**
 * A text that a spreadsheet would run as a formula (OWASP "CSV Injection"): it starts with
 * =, +, -, @, a tab or a carriage return.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field, defused and quoted by the same rule as the desktop app's export (the cases
 * both are tested against are in `csv-formula-cases.json`):
 * - a text starting with =, +, -, @, tab or carriage return gets a leading single quote, so
 *   a spreadsheet shows it instead of running it; a plain decimal number (`-12.50`, as
 *   amounts and kg CO2e arrive: exact decimal strings) is written digit for digit and stays
 *   a number;
 * - a field holding a comma, a double quote, a carriage return or a line feed is put in
 *   double quotes, with its double quotes doubled.
 * A JavaScript number is for counts and ids (a line number, a scope); a missing value (or a
 * number that is not finite) is an empty field.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = value;
  if (FORMULA_START.test(text) && !isPlainDecimal(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

/** One CSV line (without the line break). */
export function csvRow(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return values.map(csvCell).join(',');
}

/** A file name that every desktop file system accepts. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return cleaned.slice(0, 120) || 'export';
}
