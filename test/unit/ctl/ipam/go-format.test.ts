import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCount,
  formatCountWithPercent,
  goFormatF0,
  goFormatG,
} from '../../../../src/ctl/commands/ipam/go-format.js';

describe('Go %.5g', () => {
  // Expected values are what Go's fmt.Sprintf("%.5g", float64(x)) prints.
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [64, '64'],
    [1000, '1000'],
    [65536, '65536'],
    [99999, '99999'],
    [100000, '1e+05'],
    [1048576, '1.0486e+06'],
    [16777216, '1.6777e+07'],
    [2 ** 64, '1.8447e+19'],
    [2 ** 80, '1.2089e+24'],
    [2 ** 96, '7.9228e+28'],
    [2 ** 128, '3.4028e+38'],
    [-65536, '-65536'],
    [0.5, '0.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
  ];
  for (const [x, want] of cases) {
    it(`${x} -> ${want}`, () => assert.equal(goFormatG(x), want));
  }
  it('breaks exact ties to even, as Go does', () => {
    assert.equal(goFormatG(123455), '1.2346e+05'); // 12345|5: odd, up
    assert.equal(goFormatG(123465), '1.2346e+05'); // 12346|5: even, stays
    assert.equal(goFormatG(123465.0001), '1.2347e+05');
    assert.equal(goFormatG(999995), '1e+06'); // rounds up into a new digit
    assert.equal(goFormatG(999985), '9.9998e+05');
  });
  it('formats counts given as bigint', () => {
    assert.equal(formatCount(1n << 80n), '1.2089e+24');
    assert.equal(formatCount(256n), '256');
  });
});

describe('Go %.f', () => {
  it('rounds to the nearest integer, exact ties to even', () => {
    assert.equal(goFormatF0(7.8125), '8');
    assert.equal(goFormatF0(0.5), '0');
    assert.equal(goFormatF0(1.5), '2');
    assert.equal(goFormatF0(2.5), '2');
    assert.equal(goFormatF0(12.5), '12');
    assert.equal(goFormatF0(37.5), '38');
    assert.equal(goFormatF0(99.99), '100');
    assert.equal(goFormatF0(0), '0');
    assert.equal(goFormatF0(NaN), 'NaN');
  });
});

describe('"%.5g (%.f%%)"', () => {
  it('matches calicoctl ipam show cells', () => {
    assert.equal(formatCountWithPercent(5, 64), '5 (8%)');
    assert.equal(formatCountWithPercent(0, 64), '0 (0%)');
    assert.equal(formatCountWithPercent(64, 64), '64 (100%)');
    assert.equal(formatCountWithPercent(5n, 65536n), '5 (0%)');
    assert.equal(formatCountWithPercent(65531n, 65536n), '65531 (100%)');
    assert.equal(formatCountWithPercent(32, 64), '32 (50%)');
    assert.equal(formatCountWithPercent(8, 64), '8 (12%)'); // 12.5: tie to even
    assert.equal(formatCountWithPercent((1n << 80n) - 70n, 1n << 80n), '1.2089e+24 (100%)');
    assert.equal(formatCountWithPercent(0, 0), '0 (NaN%)');
  });
});
