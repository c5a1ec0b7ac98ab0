import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ianaPortNameProblem,
  normalisePort,
  parsePort,
  portProblem,
  portToJSON,
  portToString,
  PortParseError,
} from '../../../../src/api/common/ports.js';
import {
  normaliseProtocol,
  parseProtocol,
  protocolNumber,
  protocolProblem,
  supportsPorts,
} from '../../../../src/api/common/protocol.js';

describe('Port', () => {
  it('parses numbers, numeric strings, ranges and names', () => {
    assert.deepEqual(parsePort(80), { minPort: 80, maxPort: 80, portName: '' });
    assert.deepEqual(parsePort('80'), { minPort: 80, maxPort: 80, portName: '' });
    assert.deepEqual(parsePort('1000:2000'), { minPort: 1000, maxPort: 2000, portName: '' });
    assert.deepEqual(parsePort('http-alt'), { minPort: 0, maxPort: 0, portName: 'http-alt' });
  });

  it('rejects a reversed range with the exact message', () => {
    assert.throws(
      () => parsePort('2000:1000'),
      (e: unknown) =>
        e instanceof PortParseError &&
        e.message === 'minimum port number (2000) is greater than maximum port number (1000) in port range',
    );
  });

  it('rejects out-of-range numbers and bad names', () => {
    assert.equal(portProblem('70000'), 'invalid port format (70000)');
    assert.equal(portProblem('1:70000'), 'invalid maximum port number in range (1:70000)');
    assert.equal(portProblem(70000), 'invalid port number (70000)');
    assert.equal(portProblem('-50:-1'), 'invalid name for named port (-50:-1)');
    assert.equal(portProblem('a'.repeat(129)), `invalid name for named port (${'a'.repeat(129)})`);
    assert.equal(portProblem(0), 'port range invalid, port number must be between 1 and 65535');
    assert.equal(portProblem('0:10'), 'port range invalid, port number must be between 1 and 65535');
    assert.equal(portProblem(65535), undefined);
    assert.equal(portProblem('a_b.c-d'), undefined);
  });

  it('marshals back as Calico does', () => {
    assert.equal(portToJSON(parsePort('80')), 80);
    assert.equal(portToJSON(parsePort('1:2')), '1:2');
    assert.equal(portToJSON(parsePort('5:5')), 5);
    assert.equal(portToJSON(parsePort('dns')), 'dns');
    assert.equal(portToString(parsePort(443)), '443');
    assert.equal(normalisePort('80'), 80);
    assert.equal(normalisePort('9:1'), '9:1'); // invalid: left for validation to report
  });

  it('checks IANA service names for endpoint ports', () => {
    assert.equal(ianaPortNameProblem('http'), undefined);
    assert.equal(ianaPortNameProblem('web-8080'), undefined);
    assert.match(ianaPortNameProblem('8080') ?? '', /at least one letter/);
    assert.match(ianaPortNameProblem('a--b') ?? '', /consecutive hyphens/);
    assert.match(ianaPortNameProblem('-ab') ?? '', /begin or end/);
    assert.match(ianaPortNameProblem('Http') ?? '', /alpha-numeric/);
    assert.match(ianaPortNameProblem('a'.repeat(16)) ?? '', /15 characters/);
  });
});

describe('Protocol', () => {
  it('normalises names case-insensitively and numeric strings to numbers', () => {
    assert.equal(parseProtocol('tcp'), 'TCP');
    assert.equal(parseProtocol('icmpv6'), 'ICMPv6');
    assert.equal(parseProtocol('udplite'), 'UDPLite');
    assert.equal(parseProtocol('6'), 6);
    assert.equal(parseProtocol(132), 132);
    assert.equal(normaliseProtocol('Sctp'), 'SCTP');
    assert.equal(normaliseProtocol('bogus'), 'bogus');
  });

  it('rejects 0, >255 and unknown names with Calico reasons', () => {
    assert.equal(protocolProblem(0), 'protocol number invalid');
    assert.equal(protocolProblem('0'), 'protocol number invalid');
    assert.equal(protocolProblem(256), 'protocol number invalid');
    assert.equal(protocolProblem('300'), 'protocol name invalid');
    assert.equal(protocolProblem('gre'), 'protocol name invalid');
    assert.equal(protocolProblem(255), undefined);
  });

  it('knows which protocols carry ports', () => {
    for (const p of ['TCP', 'udp', 'SCTP', 6, 17, 132, '17']) assert.ok(supportsPorts(p), String(p));
    for (const p of ['ICMP', 'ICMPv6', 'UDPLite', 1, 58, 'bogus', undefined])
      assert.ok(!supportsPorts(p), String(p));
    assert.equal(protocolNumber('ICMP'), 1);
    assert.equal(protocolNumber('icmpv6'), 58);
  });
});
