/** Label selectors and CIDRs as the Kubernetes API defines them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inCidr, selectorMatches, type LabelSelector } from '../../helpers/k8s-netpol-model.js';

const LABELS = { pod: 'a', tier: 'web', empty: '' };

describe('k8s model: label selectors', () => {
  const table: [string, LabelSelector, boolean][] = [
    ['empty selects everything', {}, true],
    ['null fields select everything', { matchLabels: null, matchExpressions: null }, true],
    ['matchLabels equal', { matchLabels: { pod: 'a' } }, true],
    ['matchLabels differ', { matchLabels: { pod: 'b' } }, false],
    ['matchLabels all of them', { matchLabels: { pod: 'a', tier: 'db' } }, false],
    ['matchLabels empty value', { matchLabels: { empty: '' } }, true],
    ['matchLabels missing key', { matchLabels: { role: '' } }, false],
    ['In', { matchExpressions: [{ key: 'pod', operator: 'In', values: ['a', 'b'] }] }, true],
    ['In, value not listed', { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] }, false],
    ['In, key missing', { matchExpressions: [{ key: 'role', operator: 'In', values: ['a'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['b'] }] }, true],
    ['NotIn, value listed', { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['a'] }] }, false],
    [
      'NotIn, key missing matches',
      { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['Exists, empty value', { matchExpressions: [{ key: 'empty', operator: 'Exists' }] }, true],
    ['Exists, missing', { matchExpressions: [{ key: 'role', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    [
      'matchLabels AND matchExpressions',
      { matchLabels: { pod: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] },
      false,
    ],
    [
      'expressions ANDed',
      {
        matchExpressions: [
          { key: 'tier', operator: 'Exists' },
          { key: 'pod', operator: 'NotIn', values: ['c'] },
        ],
      },
      true,
    ],
  ];
  for (const [name, sel, want] of table) {
    it(name, () => assert.equal(selectorMatches(sel, LABELS), want));
  }

  it('rejects what the API server rejects', () => {
    assert.throws(
      () => selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, {}),
      /In needs values/,
    );
    assert.throws(
      () => selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, {}),
      /Exists takes no values/,
    );
  });
});

describe('k8s model: CIDRs', () => {
  const table: [string, string, boolean][] = [
    ['203.0.113.7', '203.0.113.0/24', true],
    ['203.0.113.7', '203.0.113.7/32', true],
    ['203.0.113.8', '203.0.113.7/32', false],
    ['203.0.113.17', '203.0.113.16/28', true],
    ['203.0.113.32', '203.0.113.16/28', false],
    ['198.51.100.1', '0.0.0.0/0', true],
    ['203.0.113.200', '203.0.113.5/24', true], // host bits ignored
    ['fd00::5', 'fd00::/64', true],
    ['203.0.113.7', 'fd00::/8', false], // other family
    ['fd00::5', '0.0.0.0/0', false],
  ];
  for (const [ip, cidr, want] of table) {
    it(`${ip} in ${cidr}: ${want}`, () => assert.equal(inCidr(ip, cidr), want));
  }
  it('rejects malformed CIDRs', () => {
    for (const bad of ['203.0.113.0', '203.0.113.0/33', 'x/8', '203.0.113.0/2/4']) {
      assert.throws(() => inCidr('203.0.113.1', bad), /invalid CIDR/);
    }
  });
});
