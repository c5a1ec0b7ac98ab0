import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, encodeYAML } from '../../../src/api/index.js';
import { assertRejects, assertValid, res } from './helpers.js';

describe('ClusterInformation', () => {
  const ci = (spec: object, name = 'default') => res('ClusterInformation', name, spec);
  it('accepts the default object', () => {
    assertValid(
      ci({
        clusterGUID: '0123456789abcdef0123456789abcdef',
        clusterType: 'k8s,bgp',
        calicoVersion: 'v3.30.0',
        datastoreReady: true,
      }),
    );
  });
  it('only allows the name default and a hex GUID', () => {
    assertRejects(
      ci({}, 'other'),
      'metadata.name',
      'Cannot create a Cluster Information resource with a name other than "default"',
    );
    assertRejects(ci({ clusterGUID: '0123-4567' }), 'spec.clusterGUID', '32 hexadecimal characters');
  });
});

describe('IPAMConfiguration', () => {
  const ipam = (spec: object, name = 'default') => res('IPAMConfiguration', name, spec);
  it('defaults strictAffinity and autoAllocateBlocks when absent', () => {
    assert.deepEqual(applyDefaults(ipam({})).spec, { strictAffinity: false, autoAllocateBlocks: true });
    assert.deepEqual(applyDefaults(ipam({ strictAffinity: true, autoAllocateBlocks: false })).spec, {
      strictAffinity: true,
      autoAllocateBlocks: false,
    });
  });
  it('accepts valid settings and checks ranges, enums and the name', () => {
    assertValid(
      ipam({
        strictAffinity: true,
        maxBlocksPerHost: 4,
        kubeVirtVMAddressPersistence: 'Disabled',
        ipCooldownSeconds: 1200,
      }),
    );
    assertRejects(
      ipam({ maxBlocksPerHost: -1 }),
      'spec.maxBlocksPerHost',
      'must be greater than or equal to 0',
    );
    assertRejects(ipam({ maxBlocksPerHost: 1000001 }), 'spec.maxBlocksPerHost', 'between 0 and 1000000');
    assertRejects(ipam({ ipCooldownSeconds: 1201 }), 'spec.ipCooldownSeconds', 'between 0 and 1200');
    assertRejects(
      ipam({ kubeVirtVMAddressPersistence: 'On' }),
      'spec.kubeVirtVMAddressPersistence',
      'must be one of',
    );
    assertRejects(
      ipam({}, 'x'),
      'metadata.name',
      'Cannot create an IPAMConfiguration resource with a name other than "default"',
    );
  });
});

describe('IPReservation', () => {
  it('accepts CIDRs (host bits allowed) and single IPs, rejects garbage', () => {
    assertValid(
      res('IPReservation', 'r', { reservedCIDRs: ['10.0.0.0/24', '10.1.0.5/16', '192.168.0.1', 'fd00::1'] }),
    );
    assertRejects(
      res('IPReservation', 'r', { reservedCIDRs: ['10.0.0.0/24', 'nope'] }),
      'spec.reservedCIDRs[1]',
      'invalid CIDR',
    );
  });
});

describe('KubeControllersConfiguration', () => {
  const kcc = (spec: object, name = 'default') => res('KubeControllersConfiguration', name, spec);
  it('defaults healthChecks and nested CRD defaults, and prints an empty status', () => {
    const d = applyDefaults(kcc({ controllers: { node: { reconcilerPeriod: '5m' }, loadBalancer: {} } }));
    assert.deepEqual(d.spec, {
      healthChecks: 'Enabled',
      controllers: { node: { reconcilerPeriod: '5m' }, loadBalancer: { assignIPs: 'AllServices' } },
    });
    assert.match(encodeYAML(d), /\nstatus: \{\}\n$/);
  });
  it('accepts a typical configuration and checks its fields', () => {
    assertValid(
      kcc({
        logSeverityScreen: 'Info',
        healthChecks: 'Enabled',
        etcdV3CompactionPeriod: '10m',
        prometheusMetricsPort: 9094,
        controllers: {
          node: {
            reconcilerPeriod: '5m',
            syncLabels: 'Enabled',
            hostEndpoint: {
              autoCreate: 'Disabled',
              templates: [{ generateName: 'tpl', interfaceCIDRs: ['10.0.0.0/8'], nodeSelector: 'all()' }],
            },
          },
          policy: { reconcilerPeriod: '5m' },
          namespace: { reconcilerPeriod: '5m' },
        },
      }),
    );
    assertRejects(kcc({}, 'other'), 'metadata.name', 'name other than "default"');
    assertRejects(
      kcc({ logSeverityScreen: 'Trace', controllers: {} }),
      'spec.logSeverityScreen',
      'must be one of',
    );
    assertRejects(
      kcc({ controllers: { policy: { reconcilerPeriod: '5 minutes' } } }),
      'spec.controllers.policy.reconcilerPeriod',
      'duration',
    );
    assertRejects(
      kcc({ controllers: { node: { syncLabels: 'Yes' } } }),
      'spec.controllers.node.syncLabels',
      'must be one of',
    );
    assertRejects(
      kcc({ controllers: { loadBalancer: { assignIPs: 'Some' } } }),
      'spec.controllers.loadBalancer.assignIPs',
      'must be one of',
    );
    assertRejects(
      kcc({ prometheusMetricsPort: 70000, controllers: {} }),
      'spec.prometheusMetricsPort',
      'between 0 and 65535',
    );
  });
});

describe('CalicoNodeStatus', () => {
  const cns = (spec: object) => res('CalicoNodeStatus', 'status-1', spec);
  it('accepts a request and checks node, classes and period', () => {
    assertValid(cns({ node: 'node1', classes: ['Agent', 'BGP', 'Routes'], updatePeriodSeconds: 10 }));
    assertRejects(cns({ classes: ['Agent'], updatePeriodSeconds: 10 }), 'spec.node', 'must be specified');
    assertRejects(
      cns({ node: 'n', classes: ['Agent', 'Agent'], updatePeriodSeconds: 1 }),
      'spec.classes[1]',
      'unique',
    );
    assertRejects(
      cns({ node: 'n', classes: ['Disk'], updatePeriodSeconds: 1 }),
      'spec.classes[0]',
      'must be one of',
    );
    assertRejects(
      cns({ node: 'n', classes: [], updatePeriodSeconds: 86401 }),
      'spec.updatePeriodSeconds',
      'between 0 and 86400',
    );
    assertRejects(cns({ node: 'n', classes: [] }), 'spec.updatePeriodSeconds', 'must be specified');
  });
});

describe('BlockAffinity', () => {
  const ba = (spec: object) => res('BlockAffinity', 'node1-10-0-0-0-26', spec);
  it('defaults deleted to false and checks its fields', () => {
    assert.equal(
      (
        applyDefaults(ba({ state: 'confirmed', node: 'node1', cidr: '10.0.0.0/26' })).spec as {
          deleted: boolean;
        }
      ).deleted,
      false,
    );
    assertValid(ba({ state: 'confirmed', node: 'node1', cidr: '10.0.0.0/26' }));
    assertRejects(
      ba({ state: 'confirmed', node: 'node1', cidr: '10.0.0.1/26' }),
      'spec.cidr',
      'not strictly masked',
    );
    assertRejects(ba({ state: 'gone', node: 'node1', cidr: '10.0.0.0/26' }), 'spec.state', 'must be one of');
    assertRejects(ba({ state: 'confirmed', cidr: '10.0.0.0/26' }), 'spec.node', 'must be specified');
    assertRejects(
      ba({ state: 'confirmed', node: 'node1', cidr: '10.0.0.0/26', deleted: true }),
      'spec.deleted',
      'cannot be set to "true"',
    );
  });
});
