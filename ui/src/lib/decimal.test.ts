import { describe, expect, it } from 'vitest';
import {
  compareDecimals,
  decimalToNumber,
  isPlainDecimal,
  isPositive,
  isZero,
  maxDecimal,
  multiplyDecimals,
  parseDecimal,
  percentOf,
  roundDecimal,
  sumDecimals,
} from './decimal';

describe('sumDecimals', () => {
  it('adds a thousand lines of 0.10 and a thousand of 0.20 to exactly 300.00', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) lines.push('0.10', '0.20');
    expect(sumDecimals(lines)).toBe('300.00');
    // The same lines as JavaScript numbers do not make 300: the trap this avoids.
    expect(lines.reduce((a, b) => a + Number(b), 0)).not.toBe(300);
  });

  it('writes as many decimals as its most precise term, as the application does', () => {
    expect(sumDecimals(['1.5', '2.5'])).toBe('4.0');
    expect(sumDecimals(['12', '0.000123'])).toBe('12.000123');
    expect(sumDecimals(['7'])).toBe('7');
  });

  it('adds negative amounts, and a total that cancels out is zero without a minus', () => {
    expect(sumDecimals(['100.00', '-12.50'])).toBe('87.50');
    expect(sumDecimals(['-12.50', '12.5'])).toBe('0.00');
  });

  it('counts missing values as nothing, and nothing at all as 0', () => {
    expect(sumDecimals(['1.25', null, undefined, '2'])).toBe('3.25');
    expect(sumDecimals([])).toBe('0');
  });

  it('keeps digits a JavaScript number cannot hold', () => {
    expect(sumDecimals(['9007199254740993.01', '0.01'])).toBe('9007199254740993.02');
  });

  it('refuses a value that is not a plain decimal rather than adding it wrong', () => {
    expect(() => sumDecimals(['1', '1e5'])).toThrow(/not a plain decimal/i);
    expect(() => sumDecimals(['1,000.00'])).toThrow(/not a plain decimal/i);
  });
});

describe('comparing', () => {
  it('orders by value, not as text', () => {
    const amounts = ['9', '10.5', '-12.50', '-2', '0.10', '100'];
    expect([...amounts].sort(compareDecimals)).toEqual(['-12.50', '-2', '0.10', '9', '10.5', '100']);
    expect([...amounts].sort()).not.toEqual([...amounts].sort(compareDecimals));
    expect(compareDecimals('0.10', '0.1')).toBe(0);
  });

  it('finds the largest value and tells zero and positive apart', () => {
    expect(maxDecimal(['9', '10.5', '-12.50'])).toBe('10.5');
    expect(maxDecimal([], '0')).toBe('0');
    expect(isPositive('0.0001')).toBe(true);
    expect(isPositive('-0.0001')).toBe(false);
    expect(isZero('-0.00')).toBe(true);
    expect(isZero('0.001')).toBe(false);
  });
});

describe('multiplying and rounding', () => {
  it('multiplies exactly', () => {
    expect(multiplyDecimals('-12.50', '1.2781')).toBe('-15.97625');
    expect(multiplyDecimals('0.1', '0.2')).toBe('0.02');
  });

  it('rounds ties away from zero, with a fixed number of decimals and no negative zero', () => {
    expect(roundDecimal('2.345', 2)).toBe('2.35');
    expect(roundDecimal('-2.345', 2)).toBe('-2.35');
    expect(roundDecimal('2.3449', 2)).toBe('2.34');
    expect(roundDecimal('7', 2)).toBe('7.00');
    expect(roundDecimal('-0.04', 1)).toBe('0.0');
  });
});

describe('reading', () => {
  it('accepts only plain decimal numbers, as the application writes them', () => {
    for (const ok of ['0', '-12.50', '1234.567891', '0.000123', '-0']) expect(isPlainDecimal(ok)).toBe(true);
    for (const bad of ['', '+1', '.5', '1.', '1e5', '-1e-7', '1,000', ' 1', 'NaN', 'Infinity']) {
      expect(isPlainDecimal(bad)).toBe(false);
      expect(parseDecimal(bad)).toBeNull();
    }
    expect(parseDecimal(null)).toBeNull();
  });

  it('makes a number for drawing only, and NaN of anything else', () => {
    expect(decimalToNumber('-12.50')).toBe(-12.5);
    expect(decimalToNumber('1e5')).toBeNaN();
    expect(decimalToNumber(null)).toBeNaN();
  });
});

describe('percentOf', () => {
  it('is a share of an amount exactly, with the places the application’s decimals keep', () => {
    // The product's places when the quotient fits them…
    expect(percentOf('1000.00', '60')).toBe('600.00');
    expect(percentOf('1000.00', '40')).toBe('400.00');
    expect(percentOf('100.00', '33.3')).toBe('33.300');
    expect(percentOf('-12.50', '50')).toBe('-6.25');
    // …and as many as the quotient needs otherwise.
    expect(percentOf('1000.01', '60')).toBe('600.006');
    expect(percentOf('1000.01', '25.5')).toBe('255.00255');
    expect(percentOf('0.01', '1')).toBe('0.0001');
    expect(percentOf('0.00', '60')).toBe('0');
    // The parts of a line add up to the line.
    expect(sumDecimals([percentOf('1000.01', '60'), percentOf('1000.01', '25.5'), percentOf('1000.01', '14.5')])).toBe('1000.01000');
  });
});
