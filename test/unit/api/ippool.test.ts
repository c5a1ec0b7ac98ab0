import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyDefaults,
  applyReadDefaults,
  Checker,
  checkIPPoolUpdate,
  type IPPoolSpec,
} from '../../../src/api/index.js';
import { assertRejects, assertValid, errorsOf, res } from './helpers.js';

const pool = (spec: Partial<IPPoolSpec> & Record<string, unknown>, name = 'p') => res('IPPool', name, spec);

describe('IPPool defaults', () => {
  it('fills blockSize, nodeSelector, modes, allowedUses and assignmentMode (IPv4)', () => {
    const d = applyDefaults(pool({ cidr: '10.1.0.0/16' }));
    assert.deepEqual(d.spec, {
      cidr: '10.1.0.0/16',
      blockSize: 26,
      nodeSelector: 'all()',
      ipipMode: 'Never',
      vxlanMode: 'Never',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
    });
  });

  it('uses 122 for IPv6 and canonicalises the CIDR text', () => {
    const d = applyDefaults(pool({ cidr: 'FD00:0:0:1::/64' }));
    assert.equal((d.spec as unknown as IPPoolSpec).blockSize, 122);
    assert.equal((d.spec as unknown as IPPoolSpec).cidr, 'fd00:0:0:1::/64');
  });

  it('keeps given values and does not mask a CIDR with host bits (validation reports it)', () => {
    const d = applyDefaults(
      pool({
        cidr: '10.1.2.3/16',
        blockSize: 24,
        nodeSelector: 'a == "b"',
        allowedUses: ['Workload'],
        assignmentMode: 'Manual',
      }),
    );
    assert.deepEqual(d.spec, {
      cidr: '10.1.2.3/16',
      blockSize: 24,
      nodeSelector: 'a == "b"',
      allowedUses: ['Workload'],
      assignmentMode: 'Manual',
      ipipMode: 'Never',
      vxlanMode: 'Never',
    });
  });

  it('is pure', () => {
    const input = pool({ cidr: '10.1.0.0/16' });
    const copy = structuredClone(input);
    applyDefaults(input);
    assert.deepEqual(input, copy);
  });

  it('read defaults fill missing fields of stored pools', () => {
    const r = applyReadDefaults(pool({ cidr: 'fd00::/48', natOutgoing: true }));
    assert.deepEqual(r.spec, {
      cidr: 'fd00::/48',
      natOutgoing: true,
      blockSize: 122,
      nodeSelector: 'all()',
      ipipMode: 'Never',
      vxlanMode: 'Never',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
    });
  });
});

describe('IPPool validation', () => {
  it('accepts typical pools', () => {
    assertValid(pool({ cidr: '10.244.0.0/16', ipipMode: 'CrossSubnet', natOutgoing: true, blockSize: 26 }));
    assertValid(pool({ cidr: '10.244.0.0/16', vxlanMode: 'Always' }));
    assertValid(pool({ cidr: 'fd00:10:244::/64', vxlanMode: 'CrossSubnet', blockSize: 122 }));
    assertValid(
      pool({
        cidr: '10.0.0.0/8',
        nodeSelector: 'zone == "a"',
        namespaceSelector: 'team == "x"',
        allowedUses: ['Workload'],
      }),
    );
    assertValid(pool({ cidr: '192.168.100.0/24', allowedUses: ['LoadBalancer'] }));
    assertValid(pool({ cidr: '10.0.0.0/30', disabled: true }));
  });

  it('checks the CIDR', () => {
    assertRejects(pool({ cidr: '' }), 'spec.cidr', 'IPPool CIDR must be specified');
    assertRejects(res('IPPool', 'p', {}), 'spec.cidr', 'IPPool CIDR must be specified');
    assertRejects(pool({ cidr: '10.0.0.300/16' }), 'spec.cidr', 'IPPool CIDR must be a valid subnet');
    assertRejects(pool({ cidr: '10.0.0.1' }), 'spec.cidr', 'IPPool CIDR must be a valid subnet');
    assertRejects(pool({ cidr: '10.1.2.0/16' }), 'spec.cidr', 'IPPool CIDR is not strictly masked');
    // Defaulting canonicalises the text first, so only an undefaulted pool can be too long.
    const long = errorsOf(
      pool({ cidr: '0000:0000:0000:0000:0000:0000:100.100.100.100/128' }),
      'create',
      true,
    );
    assert.ok(long.some((e) => e.field === 'spec.cidr' && e.reason.includes('no more than 48 characters')));
    assertRejects(
      pool({ cidr: '169.254.0.0/24' }),
      'spec.cidr',
      'overlaps with IPv4 link local range 169.254.0.0/16',
    );
    assertRejects(
      pool({ cidr: '160.0.0.0/4', blockSize: 26 }),
      'spec.cidr',
      'overlaps with IPv4 link local range',
    );
    assertRejects(pool({ cidr: 'fe80::/64' }), 'spec.cidr', 'overlaps with IPv6 link local range fe80::/10');
  });

  it('checks blockSize ranges per family and the pool-too-small rule', () => {
    assertRejects(
      pool({ cidr: '10.0.0.0/8', blockSize: 19 }),
      'spec.blockSize',
      'between 20 and 32 for IPv4',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/8', blockSize: 33 }),
      'spec.blockSize',
      'between 20 and 32 for IPv4',
    );
    assertValid(pool({ cidr: '10.0.0.0/8', blockSize: 20 }));
    assertValid(pool({ cidr: '10.0.0.0/8', blockSize: 32 }));
    assertRejects(
      pool({ cidr: 'fd00::/48', blockSize: 115 }),
      'spec.blockSize',
      'between 116 and 128 for IPv6',
    );
    assertValid(pool({ cidr: 'fd00::/48', blockSize: 128 }));
    assertRejects(
      pool({ cidr: '10.0.0.0/28' }),
      'spec.cidr',
      'IP pool size is too small for use with Calico IPAM',
    );
    assertRejects(pool({ cidr: '10.0.0.0/28', blockSize: 27 }), 'spec.cidr', 'IP pool size is too small');
    assertValid(pool({ cidr: '10.0.0.0/28', blockSize: 28 }));
  });

  it('checks encapsulation modes', () => {
    assertRejects(
      pool({ cidr: '10.0.0.0/16', ipipMode: 'Sometimes' as never }),
      'spec.ipipMode',
      'must be one of: Never, Always, CrossSubnet',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', vxlanMode: 'always' as never }),
      'spec.vxlanMode',
      'must be one of',
    );
    assertRejects(
      pool({ cidr: 'fd00::/48', ipipMode: 'Always' }),
      'spec.ipipMode',
      'IPIP is not supported on IPv6 pools',
    );
    assertValid(pool({ cidr: 'fd00::/48', ipipMode: 'Never' }));
    assertRejects(
      pool({ cidr: '10.0.0.0/16', ipipMode: 'Always', vxlanMode: 'CrossSubnet' }),
      'spec.vxlanMode',
      'ipipMode and vxlanMode cannot both be enabled',
    );
    assertValid(pool({ cidr: '10.0.0.0/16', ipipMode: 'Never', vxlanMode: 'Always' }));
  });

  it('checks selectors', () => {
    assertRejects(
      pool({ cidr: '10.0.0.0/16', nodeSelector: 'has(' }),
      'spec.nodeSelector',
      'invalid selector',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', nodeSelector: 'global()' }),
      'spec.nodeSelector',
      'global() selector is not valid for IPPool nodeSelector',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['Workload'], namespaceSelector: 'a ==' }),
      'spec.namespaceSelector',
      'invalid selector',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['Workload'], namespaceSelector: 'global()' }),
      'spec.namespaceSelector',
      'global() selector is not valid for IPPool namespaceSelector',
    );
  });

  it('checks allowedUses and the LoadBalancer constraints', () => {
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['Workload', 'Other' as never] }),
      'spec.allowedUses[1]',
      'unknown use: Other',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['Workload', 'Workload'] }),
      'spec.allowedUses[1]',
      'duplicate use',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['LoadBalancer', 'Workload'] }),
      'spec.allowedUses',
      'LoadBalancer cannot be combined with Workload or Tunnel allowed uses',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['LoadBalancer'], vxlanMode: 'Always' }),
      'spec.allowedUses',
      'LoadBalancer IP pool cannot have IPIP or VXLAN enabled',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['LoadBalancer'], disableBGPExport: true }),
      'spec.disableBGPExport',
      'LoadBalancer IP pools cannot disable BGP export',
    );
    assertRejects(
      pool({ cidr: '10.0.0.0/16', allowedUses: ['LoadBalancer'], nodeSelector: 'a == "b"' }),
      'spec.nodeSelector',
      'IP Pool with AllowedUse LoadBalancer must have nodeSelector set to all()',
    );
    // The default uses include Tunnel.
    assertRejects(
      pool({ cidr: '10.0.0.0/16', namespaceSelector: 'a == "b"' }),
      'spec.namespaceSelector',
      'IP Pool with AllowedUse Tunnel cannot have namespaceSelector',
    );
  });

  it('checks assignmentMode and the deprecated v1 fields', () => {
    assertRejects(
      pool({ cidr: '10.0.0.0/16', assignmentMode: 'Auto' as never }),
      'spec.assignmentMode',
      'must be one of: Automatic, Manual',
    );
    assertRejects(pool({ cidr: '10.0.0.0/16', ipip: { enabled: true } }), 'spec.ipip', 'must not be set');
    assertRejects(
      pool({ cidr: '10.0.0.0/16', 'nat-outgoing': true }),
      'spec.nat-outgoing',
      'must not be set',
    );
  });

  it('reports every broken field at once', () => {
    const errs = errorsOf(
      pool({ cidr: '10.0.0.1/16', ipipMode: 'Always', vxlanMode: 'Always', blockSize: 40 }),
    );
    assert.deepEqual(errs.map((e) => e.field).sort(), ['spec.blockSize', 'spec.cidr', 'spec.vxlanMode']);
  });
});

describe('checkIPPoolUpdate', () => {
  const stored = applyDefaults(pool({ cidr: 'fd00::/48' }));
  const update = (spec: Partial<IPPoolSpec>) => {
    const c = new Checker();
    checkIPPoolUpdate(stored, applyDefaults(pool({ cidr: 'fd00::/48', ...spec })), c);
    return c.errors.map((e) => `${e.field}: ${e.reason}`);
  };

  it('allows other changes and re-spellings of the same CIDR', () => {
    assert.deepEqual(update({ natOutgoing: true, cidr: 'FD00:0::/48' }), []);
  });

  it('rejects CIDR and blockSize changes', () => {
    assert.deepEqual(update({ cidr: 'fd01::/48' }), ['spec.cidr: IPPool CIDR cannot be modified']);
    assert.deepEqual(update({ blockSize: 120 }), ['spec.blockSize: IPPool BlockSize cannot be modified']);
  });

  it('rejects switching a LoadBalancer pool to Workload/Tunnel', () => {
    const lb = applyDefaults(pool({ cidr: '10.0.0.0/16', allowedUses: ['LoadBalancer'] }));
    const c = new Checker();
    checkIPPoolUpdate(lb, applyDefaults(pool({ cidr: '10.0.0.0/16', allowedUses: ['Workload'] })), c);
    assert.equal(c.errors[0].field, 'spec.allowedUses');
    assert.match(c.errors[0].reason, /cannot be changed from LoadBalacer to Workload or Tunnel/);
  });
});
