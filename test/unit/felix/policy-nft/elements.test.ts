/** Set elements: canonical forms from members and from kernel reads, overlaps dropped. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ipPortElement,
  kernelElement,
  netElements,
  setType,
} from '../../../../src/felix/dataplane/policy/nft-elements.js';

describe('nft set elements', () => {
  it('canonicalises CIDRs and drops members another member covers', () => {
    assert.deepEqual(netElements(['10.1.0.0/16', '10.0.0.0/8', '192.0.2.1/32', '10.1.2.3/32'], 4), [
      '10.0.0.0/8',
      '192.0.2.1/32',
    ]);
    assert.deepEqual(netElements(['10.0.0.0/25', '10.0.0.128/25'], 4), ['10.0.0.0/25', '10.0.0.128/25']);
    assert.deepEqual(netElements(['FD00::1', 'fd00::1/128'], 6), ['fd00::1/128']);
    assert.throws(() => netElements(['fd00::1/128'], 4), /not an IPv4 CIDR/);
  });

  it('ip-port members become nft concatenations', () => {
    assert.equal(ipPortElement('10.0.0.1,tcp:8080', 4), '10.0.0.1 . tcp . 8080');
    assert.equal(ipPortElement('fd00:0::1,udp:53', 6), 'fd00::1 . udp . 53');
    assert.equal(ipPortElement('10.0.0.1,132:9', 4), '10.0.0.1 . sctp . 9');
    assert.throws(() => ipPortElement('10.0.0.1:80', 4), /not <IPv4>/);
    assert.equal(setType(6, 'ip-port'), 'ipv6_addr . inet_proto . inet_service');
    assert.equal(setType(4, 'net'), 'ipv4_addr');
  });

  it('reads kernel elements in the same forms', () => {
    assert.equal(kernelElement('10.0.0.1'), '10.0.0.1/32');
    assert.equal(kernelElement('fd00::1'), 'fd00::1/128');
    assert.equal(kernelElement({ prefix: { addr: '10.1.0.0', len: 16 } }), '10.1.0.0/16');
    assert.equal(kernelElement({ concat: ['10.0.0.1', 'tcp', 8080] }), '10.0.0.1 . tcp . 8080');
    assert.equal(kernelElement({ elem: { val: '10.0.0.2', comment: 'x' } }), '10.0.0.2/32');
    assert.equal(kernelElement({ range: ['10.0.0.1', '10.0.0.9'] }), '10.0.0.1-10.0.0.9');
    assert.equal(kernelElement({ weird: 1 }), undefined);
  });
});
