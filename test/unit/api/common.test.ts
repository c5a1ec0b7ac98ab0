import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Checker,
  checkSelector,
  checkCIDR,
  checkIP,
  parseASNumber,
  normaliseASNumber,
  parseDuration,
  formatDuration,
  parseIPPort,
  qualifiedNameProblems,
  labelValueProblems,
  isDNS1123Label,
  isDNS1123Subdomain,
  subdomainNameProblem,
  labelNameProblem,
  mapKeyPath,
  checkEnum,
  checkIntRange,
  checkInterfaceName,
  checkKeyValueList,
} from '../../../src/api/index.js';

function reasons(fn: (c: Checker) => void): string[] {
  const c = new Checker();
  fn(c);
  return c.errors.map((e) => `${e.field}: ${e.reason}`);
}

describe('name rules', () => {
  it('DNS-1123 labels and subdomains', () => {
    assert.ok(isDNS1123Label('a-1'));
    assert.ok(!isDNS1123Label('a.b'));
    assert.ok(!isDNS1123Label('a'.repeat(64)));
    assert.ok(isDNS1123Subdomain('a.b-c'));
    assert.ok(!isDNS1123Subdomain('A'));
    assert.equal(subdomainNameProblem('ok.name'), undefined);
    assert.match(labelNameProblem('a.b') ?? '', /lower case alphanumeric characters or '-'/);
    assert.equal(labelNameProblem('x'.repeat(65)), 'name is too long by 2 bytes');
  });

  it('qualified names and label values', () => {
    assert.deepEqual(qualifiedNameProblems('example.com/My_Name-1'), []);
    assert.equal(qualifiedNameProblems('').length, 1);
    assert.deepEqual(labelValueProblems(''), []);
    assert.equal(labelValueProblems('a b').length, 1);
    assert.equal(mapKeyPath('metadata.labels', 'app'), 'metadata.labels.app');
    assert.equal(mapKeyPath('metadata.labels', 'a.b/c'), 'metadata.labels["a.b/c"]');
  });
});

describe('checkSelector', () => {
  it('accepts valid and empty selectors', () => {
    assert.deepEqual(
      reasons((c) => {
        checkSelector(c, 's', 'has(a) && b == "x"');
        checkSelector(c, 's', '');
        checkSelector(c, 's', undefined);
        checkSelector(c, 's', 'all()');
      }),
      [],
    );
  });

  it('rejects parse errors, over-long selectors and misplaced global()', () => {
    assert.match(
      reasons((c) => checkSelector(c, 'spec.selector', 'has(a'))[0],
      /^spec\.selector: invalid selector: /,
    );
    assert.match(reasons((c) => checkSelector(c, 's', `a == "${'x'.repeat(1100)}"`))[0], /longer than 1024/);
    assert.match(reasons((c) => checkSelector(c, 's', 'a == "b"', { maxLength: 5 }))[0], /longer than 5/);
    assert.match(
      reasons((c) => checkSelector(c, 's', 'global()'))[0],
      /global\(\) selector is not valid here/,
    );
    assert.deepEqual(
      reasons((c) => checkSelector(c, 's', 'global()', { allowGlobal: true })),
      [],
    );
    assert.match(
      reasons((c) => checkSelector(c, 's', 'global() && has(a)', { allowGlobal: true }))[0],
      /global\(\) cannot be combined with other selectors/,
    );
  });
});

describe('AS numbers', () => {
  it('parses plain and dotted forms', () => {
    assert.equal(parseASNumber(64512), 64512);
    assert.equal(parseASNumber('64512'), 64512);
    assert.equal(parseASNumber('1.10'), 65546);
    assert.equal(parseASNumber('65535.65535'), 4294967295);
    assert.equal(parseASNumber(4294967296), undefined);
    assert.equal(parseASNumber('65536.1'), undefined);
    assert.equal(parseASNumber('1.2.3'), undefined);
    assert.equal(parseASNumber(-1), undefined);
    assert.equal(parseASNumber(1.5), undefined);
    assert.equal(normaliseASNumber('1.10'), 65546);
    assert.equal(normaliseASNumber('bogus'), 'bogus');
  });
});

describe('durations', () => {
  it('parses metav1.Duration text', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('0s'), 0);
    assert.equal(parseDuration('10'), undefined);
    assert.equal(parseDuration('-1s'), undefined);
    assert.equal(parseDuration('1d'), undefined);
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(3_600_000), '1h0m0s');
  });
});

describe('IP fields', () => {
  it('checks addresses and families', () => {
    assert.deepEqual(
      reasons((c) => checkIP(c, 'a', '10.0.0.1', { family: 4 })),
      [],
    );
    assert.deepEqual(
      reasons((c) => checkIP(c, 'a', 'fd00::1', { family: 4 })),
      ['a: must be a valid IPv4 address'],
    );
    assert.deepEqual(
      reasons((c) => checkIP(c, 'a', '10.0.0.256')),
      ['a: invalid IP address'],
    );
  });

  it('checks CIDRs: bare IPs allowed by default, strict masking on request', () => {
    assert.deepEqual(
      reasons((c) => checkCIDR(c, 'n', '10.0.0.1')),
      [],
    );
    assert.deepEqual(
      reasons((c) => checkCIDR(c, 'n', '10.0.0.1/8')),
      [],
    );
    assert.deepEqual(
      reasons((c) => checkCIDR(c, 'n', '10.0.0.1/8', { strict: true })),
      ['n: network is not strictly masked (host bits are set)'],
    );
    assert.deepEqual(
      reasons((c) => checkCIDR(c, 'n', '10.0.0.1', { allowBareIP: false })),
      ['n: invalid CIDR'],
    );
    assert.deepEqual(
      reasons((c) => checkCIDR(c, 'n', 'fd00::/8', { family: 4 })),
      ['n: must be an IPv4 CIDR'],
    );
  });

  it('parses IP:port forms', () => {
    assert.deepEqual(parseIPPort('10.0.0.1')?.port, 0);
    assert.equal(parseIPPort('10.0.0.1:179')?.port, 179);
    assert.equal(parseIPPort('[fd00::1]:1790')?.ip, 'fd00::1');
    assert.equal(parseIPPort('fd00::1')?.addr.family, 6);
    assert.equal(parseIPPort('10.0.0.1:0'), undefined);
    assert.equal(parseIPPort('10.0.0.1:65536'), undefined);
    assert.equal(parseIPPort('[10.0.0.1]:80'), undefined);
    assert.equal(parseIPPort('host:80'), undefined);
  });
});

describe('small field validators', () => {
  it('enums, ranges, interfaces and key=value lists', () => {
    assert.deepEqual(
      reasons((c) => checkEnum(c, 'e', 'info', ['Info'], { caseInsensitive: true })),
      [],
    );
    assert.deepEqual(
      reasons((c) => checkEnum(c, 'e', 'info', ['Info'])),
      ['e: must be one of: Info'],
    );
    assert.deepEqual(
      reasons((c) => checkIntRange(c, 'i', 0, 1, 2)),
      ['i: must be an integer between 1 and 2'],
    );
    assert.deepEqual(
      reasons((c) => checkInterfaceName(c, 'f', 'eth0.100')),
      [],
    );
    assert.equal(reasons((c) => checkInterfaceName(c, 'f', 'a-very-long-interface')).length, 1);
    assert.deepEqual(
      reasons((c) => checkInterfaceName(c, 'f', '*', true)),
      [],
    );
    assert.deepEqual(
      reasons((c) => checkKeyValueList(c, 'k', 'a=true,b=false,')),
      [],
    );
    assert.equal(reasons((c) => checkKeyValueList(c, 'k', 'a,b=1')).length, 1);
  });
});
