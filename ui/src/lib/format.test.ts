import { describe, expect, it } from 'vitest';
import {
  durationBetween,
  formatAmount,
  formatDecimal,
  formatFixed,
  formatCompact,
  formatDay,
  formatDuration,
  formatInt,
  formatKg,
  formatKgNumber,
  formatMonth,
  formatRelative,
  formatShare,
  formatTonnes,
  plural,
} from './format';

describe('formatKg', () => {
  it('writes kilograms with thousands separators and one decimal, then the unit', () => {
    expect(formatKg('318812.4')).toBe('318,812.4 kg CO2e');
  });

  it('rounds to one decimal place', () => {
    expect(formatKg('1234.56')).toBe('1,234.6 kg CO2e');
    expect(formatKg('0.04')).toBe('0.0 kg CO2e');
  });

  it('keeps one decimal even for whole numbers', () => {
    expect(formatKg('5')).toBe('5.0 kg CO2e');
    expect(formatKg('1000000')).toBe('1,000,000.0 kg CO2e');
  });

  it('never shows a negative zero', () => {
    expect(formatKg('-0.01')).toBe('0.0 kg CO2e');
    expect(formatKgNumber('-0')).toBe('0.0');
    expect(formatKgNumber('-0.04')).toBe('0.0');
  });

  it('keeps the sign of a real reduction', () => {
    expect(formatKg('-1500.26')).toBe('-1,500.3 kg CO2e');
  });

  it('rounds the exact decimal, ties away from zero as the application does', () => {
    expect(formatKgNumber('0.25')).toBe('0.3');
    expect(formatKgNumber('0.2499999999999999999999999999')).toBe('0.2');
    expect(formatKgNumber('0.75')).toBe('0.8');
    expect(formatKgNumber('1234.25')).toBe('1,234.3');
    expect(formatKgNumber('-300.15')).toBe('-300.2');
    expect(formatKgNumber('-300.149')).toBe('-300.1');
  });

  it('keeps every digit of a figure too long for a JavaScript number', () => {
    expect(formatKgNumber('123456789012345678901.26')).toBe('123,456,789,012,345,678,901.3');
  });

  it('shows a dash for a missing value or one that is not a plain decimal number', () => {
    expect(formatKgNumber(null)).toBe('–');
    expect(formatKgNumber('')).toBe('–');
    expect(formatKgNumber('1e5')).toBe('–');
    expect(formatKgNumber('NaN')).toBe('–');
  });
});

describe('formatTonnes', () => {
  it('shows tonnes with one decimal for large amounts', () => {
    expect(formatTonnes('318812.4')).toBe('318.8 t CO2e');
  });

  it('shows more decimals for small amounts so they do not round to nothing', () => {
    expect(formatTonnes('4270')).toBe('4.27 t CO2e');
    expect(formatTonnes('212')).toBe('0.212 t CO2e');
    expect(formatTonnes('-212')).toBe('-0.212 t CO2e');
  });

  it('converts kilograms to tonnes exactly before rounding, ties away from zero', () => {
    // 4275 / 1000 in floating point is 4.27499999…, which would show 4.27.
    expect(formatTonnes('4275')).toBe('4.28 t CO2e');
    expect(formatTonnes('4265')).toBe('4.27 t CO2e');
    expect(formatTonnes('4274.9999')).toBe('4.27 t CO2e');
  });
});

describe('formatDecimal', () => {
  it('groups thousands and pads decimals, from the decimal string', () => {
    expect(formatDecimal('1234567.5', 2)).toBe('1,234,567.50');
    expect(formatDecimal('999.96', 1)).toBe('1,000.0');
    expect(formatDecimal('0.004', 2)).toBe('0.00');
    expect(formatDecimal('1000000000000000000000', 0)).toBe('1,000,000,000,000,000,000,000');
    expect(formatDecimal('-0.000123', 6)).toBe('-0.000123');
  });
});

describe('formatFixed', () => {
  it('groups thousands and pads decimals of a count or a duration', () => {
    expect(formatFixed(1234567.5, 2)).toBe('1,234,567.50');
    expect(formatFixed(999.96, 1)).toBe('1,000.0');
    expect(formatFixed(1e21, 0)).toBe('1,000,000,000,000,000,000,000');
  });
});

describe('other numbers', () => {
  it('formats counts with thousands separators', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(0)).toBe('0');
  });

  it('formats amounts with two decimals, exactly as the decimal reads', () => {
    expect(formatAmount('1234.5')).toBe('1,234.50');
    expect(formatAmount('-12.50')).toBe('-12.50');
    expect(formatAmount('-29.999')).toBe('-30.00');
    expect(formatAmount('0.005')).toBe('0.01');
    expect(formatAmount('0.0049')).toBe('0.00');
    expect(formatAmount('0.015')).toBe('0.02');
    // 1.005 as a JavaScript number is 1.00499999999999989… and would show 1.00: the decimal
    // is an exact tie, which rounds away from zero.
    expect(formatAmount('1.005')).toBe('1.01');
    expect(formatAmount('1.0051')).toBe('1.01');
    expect(formatAmount('90071992547409931.37')).toBe('90,071,992,547,409,931.37');
  });

  it('formats axis values compactly', () => {
    expect(formatCompact('0')).toBe('0');
    expect(formatCompact('2.5')).toBe('2.5');
    expect(formatCompact('850')).toBe('850');
    expect(formatCompact('12000')).toBe('12k');
    expect(formatCompact('2500')).toBe('2.5k');
    expect(formatCompact('1500000')).toBe('1.5M');
  });

  it('formats shares as percentages and flags tiny non-zero shares', () => {
    expect(formatShare('25', '200')).toBe('12.5 %');
    expect(formatShare('1', '3')).toBe('33.3 %');
    expect(formatShare('1', '10000')).toBe('< 0.1 %');
    expect(formatShare('1', '0')).toBe('–');
    expect(formatShare('300.15', '300.15')).toBe('100.0 %');
  });

  it('writes plurals with the count', () => {
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(1200, 'entry', 'entries')).toBe('1,200 entries');
  });
});

describe('dates and durations', () => {
  it('names months and days in words', () => {
    expect(formatMonth('2024-03')).toBe('Mar 2024');
    expect(formatMonth('not a month')).toBe('not a month');
    expect(formatDay('2024-03-05')).toBe('5 Mar 2024');
  });

  it('writes short durations in seconds and long ones in minutes or hours', () => {
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(14_200)).toBe('14.2 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(3_780_000)).toBe('1 h 03 min');
    expect(formatDuration(null)).toBe('–');
  });

  it('measures the time between two moments, and none while the second is unknown', () => {
    expect(durationBetween('2025-01-01T10:00:00Z', '2025-01-01T10:00:14.200Z')).toBe(14_200);
    expect(durationBetween('2025-01-01T10:00:00Z', null)).toBeNull();
  });

  it('says how long ago something happened', () => {
    const now = Date.parse('2025-01-15T12:00:00Z');
    expect(formatRelative('2025-01-15T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('2025-01-15T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2025-01-15T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2025-01-14T11:00:00Z', now)).toBe('yesterday');
    expect(formatRelative('2024-11-01T11:00:00Z', now)).toBe('1 Nov 2024');
    expect(formatRelative(null, now)).toBe('never');
  });
});
