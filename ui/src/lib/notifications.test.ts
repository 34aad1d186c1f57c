import { describe, expect, it } from 'vitest';
import {
  changeLine,
  deliveryWhat,
  oneDecimal,
  ordinal,
  previousMonth,
  readReport,
  reportMonths,
  reportPercent,
  reportShare,
  reportTonnes,
  scheduleWords,
} from './notifications';

describe("a report's figures, as the message writes them", () => {
  it('writes tonnes to one decimal, half away from zero, with thousands separators and a real minus sign', () => {
    expect(oneDecimal('1234.45')).toBe('1,234.5');
    expect(oneDecimal('-4')).toBe('\u22124.0');
    expect(oneDecimal('-0.04')).toBe('0.0');
    expect(oneDecimal('1234567.25')).toBe('1,234,567.3');
    expect(reportTonnes('0.577023302')).toBe('0.6 t CO2e');
    expect(reportTonnes('0')).toBe('0.0 t CO2e');
  });

  it('never lets a small but real amount read as nothing', () => {
    expect(reportTonnes('0.04')).toBe('< 0.1 t CO2e');
    expect(reportTonnes('0.1')).toBe('0.1 t CO2e');
  });

  it('writes a change with its sign, and n/a when the earlier total was zero', () => {
    expect(reportPercent('12.2')).toBe('+12.2%');
    expect(reportPercent('-4.0')).toBe('\u22124.0%');
    expect(reportPercent('0')).toBe('0.0%');
    expect(reportPercent(null)).toBe('n/a');
    expect(changeLine({ against: 'October 2024', earlier_t_co2e: '1100', percent: '12.2' })).toBe(
      '+12.2% against October 2024 (1,100.0 t CO2e)',
    );
    expect(reportShare('81')).toBe('81.0%');
    expect(reportShare(null)).toBe('n/a');
  });

  it('reads a report only when it has the shape the application sends', () => {
    expect(readReport({ period: '2024-11' })).toBeNull();
    expect(readReport({})).toBeNull();
  });
});

describe('the words of destinations and deliveries', () => {
  it('says when the monthly report goes out', () => {
    expect(scheduleWords({ report_enabled: true, report_day: 1, report_time: '09:00' })).toBe('1st at 09:00');
    expect(scheduleWords({ report_enabled: true, report_day: 22, report_time: '17:30' })).toBe('22nd at 17:30');
    expect(scheduleWords({ report_enabled: false, report_day: 1, report_time: '09:00' })).toBe('Off');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 23, 28].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '23rd', '28th',
    ]);
  });

  it('names what a delivery carried', () => {
    expect(deliveryWhat({ kind: 'report', subject: '2024-11', incident_id: null })).toBe('Monthly report · November 2024');
    expect(deliveryWhat({ kind: 'alert', subject: '3', incident_id: 3 })).toBe('Alert · incident 3');
    expect(deliveryWhat({ kind: 'test', subject: 'test', incident_id: null })).toBe('Test message');
  });

  it('covers the previous month by default, and offers the recent months and every older month with data, newest first', () => {
    const now = new Date(2025, 0, 15);
    expect(previousMonth(now)).toBe('2024-12');
    const months = reportMonths(['2023-02', '2024-11', 'not a month'], now, 3);
    expect(months).toEqual(['2025-01', '2024-12', '2024-11', '2023-02']);
  });
});
