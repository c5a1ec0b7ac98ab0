/** Chain-name hashing, set naming, v3 → v1 selector rewriting, policy configuration. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSelector } from '../../../../src/selector/index.js';
import {
  compilePolicy,
  endpointChainName,
  entitySelector,
  globalPolicySelector,
  ipSetName,
  lengthLimitedId,
  networkPolicySelector,
  policyChainName,
  resolvePolicyBackend,
  resolvePolicyConfig,
} from '../../../../src/felix/calc/policy/index.js';
import type { Resource } from '../../../../src/api/index.js';
import { input, np, nsProfile, wep } from './fixtures.js';

const felixConfig = (name: string, spec: object): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'FelixConfiguration',
  metadata: { name },
  spec: spec as Record<string, unknown>,
});

describe('felix policy names', () => {
  it("GetLengthLimitedID: Calico's test vectors", () => {
    assert.equal(lengthLimitedId('felix', '1234', 10), 'felix1234');
    assert.equal(lengthLimitedId('felix', '123456', 11), 'felix123456');
    assert.equal(lengthLimitedId('felix', '_2345', 10), 'felix_kMQI');
    assert.equal(lengthLimitedId('felix', '12345678910', 13), 'felix_Y2QCZIS');
    assert.equal(lengthLimitedId('felix', '', 10), 'felix_');
  });

  it('chain names fit 28 characters', () => {
    assert.equal(endpointChainName('cali-tw-', 'cali1234567890a'), 'cali-tw-cali1234567890a');
    assert.equal(policyChainName('ingress', 'gnp/short'), 'cali-pi-gnp/short');
    const long = policyChainName('egress', 'np/namespace/a-rather-long-policy-name');
    assert.equal(long.length, 28);
    assert.match(long, /^cali-po-_[A-Za-z0-9_-]{19}$/);
  });

  it('selector sets are named cali40s: / cali60s: + 23 chars of the unique id', () => {
    const id = parseSelector('all()').uniqueId();
    assert.equal(id, 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug');
    assert.equal(ipSetName(4, id), 'cali40s:5y5I3VdRZfDU01O--xXAPx2');
    assert.equal(ipSetName(6, id), 'cali60s:5y5I3VdRZfDU01O--xXAPx2');
    const out = compilePolicy(
      input([
        nsProfile('ns1'),
        wep('ns1', 'a', { ips: ['198.51.100.1', 'fd00::1'], labels: { app: 'x' } }),
        np('ns1', 'p', {
          selector: 'all()',
          types: ['Ingress'],
          ingress: [{ action: 'Allow', source: { selector: "app == 'x'" } }],
        }),
      ]),
    );
    const sel = parseSelector("(projectcalico.org/namespace == 'ns1') && (app == 'x')");
    assert.deepEqual(
      out.v4.sets.map((s) => [s.name, s.type, s.members]),
      [[ipSetName(4, sel.uniqueId()), 'net', ['198.51.100.1/32']]],
    );
    assert.deepEqual(
      out.v6!.sets.map((s) => [s.name, s.members]),
      [[ipSetName(6, sel.uniqueId()), ['fd00::1/128']]],
    );
  });

  it('rule selectors are scoped as the v1 update processor does (spec §7.2)', () => {
    const sel = (e: object, ns: string) => entitySelector(e, ns);
    assert.equal(
      sel({ selector: "mylabel == 'value1'" }, 'namespace2'),
      "(projectcalico.org/namespace == 'namespace2') && (mylabel == 'value1')",
    );
    assert.equal(sel({ notSelector: 'has(label2)' }, 'N'), "projectcalico.org/namespace == 'N'");
    assert.equal(
      sel({ namespaceSelector: "namespacelabel1 == 'value1'" }, 'N'),
      'pcns.namespacelabel1 == "value1"',
    );
    assert.equal(
      sel({ selector: "projectcalico.org/orchestrator == 'k8s'", namespaceSelector: "key == 'value'" }, 'N'),
      '(pcns.key == "value") && (projectcalico.org/orchestrator == \'k8s\')',
    );
    assert.equal(
      sel({ namespaceSelector: "!has(key) || (has(key) && !key in {'value'})" }, 'N'),
      '(!has(pcns.key) || (has(pcns.key) && !pcns.key in {"value"}))',
    );
    const sa = { serviceAccounts: { names: ['sa1', 'sa2'], selector: "key == 'value1'" } };
    assert.equal(
      sel(sa, 'namespace'),
      '(projectcalico.org/namespace == \'namespace\') && ((pcsa.key == "value1") && (projectcalico.org/serviceaccount in {"sa1", "sa2"}))',
    );
    assert.equal(
      sel(sa, ''),
      '(pcsa.key == "value1") && (projectcalico.org/serviceaccount in {"sa1", "sa2"})',
    );
    assert.equal(sel({ serviceAccounts: {} }, ''), '');
    assert.equal(sel({ namespaceSelector: 'all()' }, 'N'), 'has(projectcalico.org/namespace)');
    assert.equal(sel({ namespaceSelector: 'global()' }, 'N'), '!has(projectcalico.org/namespace)');
    assert.equal(sel({ nets: ['10.0.0.0/8'] }, 'N'), '', 'nets-only rules are not namespace-scoped');
  });

  it('policy selectors: namespace scoping, pcns./pcsa. appends', () => {
    assert.equal(networkPolicySelector('ns1', '', ''), "projectcalico.org/namespace == 'ns1'");
    assert.equal(
      networkPolicySelector('ns1', "a == 'b'", ''),
      "(a == 'b') && projectcalico.org/namespace == 'ns1'",
    );
    assert.equal(
      networkPolicySelector('ns1', '', "role == 'x'"),
      '(projectcalico.org/namespace == \'ns1\') && pcsa.role == "x"',
    );
    assert.equal(
      globalPolicySelector('all()', "team == 'a'", ''),
      '(has(projectcalico.org/namespace)) && pcns.team == "a"',
    );
    assert.equal(globalPolicySelector('', 'all()', ''), 'has(projectcalico.org/namespace)');
  });
});

describe('felix policy config', () => {
  it("defaults are Felix's", () => {
    const c = resolvePolicyConfig('node1', []);
    assert.equal(c.ipv6, true);
    assert.deepEqual(c.interfacePrefixes, ['cali']);
    assert.equal(c.defaultEndpointToHostAction, 'Drop');
    assert.deepEqual(
      c.failsafeInbound.map((p) => `${p.protocol}:${p.port}`),
      ['tcp:22', 'udp:68', 'tcp:179', 'tcp:2379', 'tcp:2380', 'tcp:5473', 'tcp:6443', 'tcp:6666', 'tcp:6667'],
    );
    assert.deepEqual(
      c.failsafeOutbound.map((p) => `${p.protocol}:${p.port}`),
      ['udp:53', 'udp:67', 'tcp:179', 'tcp:2379', 'tcp:2380', 'tcp:5473', 'tcp:6443', 'tcp:6666', 'tcp:6667'],
    );
    assert.equal(c.logPrefix, 'calico-packet');
    assert.equal(c.vxlanPort, 4789);
    assert.deepEqual(resolvePolicyBackend('node1', []), {
      backend: 'nftables',
      iptablesFlavour: 'nft',
      refreshMs: 5000,
    });
  });

  it('layers default, node.<name>, overrides', () => {
    const cfgs = [
      felixConfig('node.node1', {
        defaultEndpointToHostAction: 'Return',
        failsafeInboundHostPorts: [{ port: 2222 }],
      }),
      felixConfig('default', {
        ipv6Support: false,
        interfacePrefix: 'cali,tap',
        defaultEndpointToHostAction: 'Accept',
        failsafeOutboundHostPorts: [{ protocol: 'UDP', port: 53, net: '192.0.2.0/24' }],
        logPrefix: 'x %t',
        vxlanPort: 4790,
        allowVXLANPacketsFromWorkloads: true,
        nftablesMode: 'Disabled',
        iptablesBackend: 'Legacy',
        iptablesRefreshInterval: '30s',
      }),
      felixConfig('node.node2', { ipv6Support: true }),
    ];
    const c = resolvePolicyConfig('node1', cfgs, { logPrefix: 'over' });
    assert.equal(c.ipv6, false);
    assert.deepEqual(c.interfacePrefixes, ['cali', 'tap']);
    assert.equal(c.defaultEndpointToHostAction, 'Return');
    assert.deepEqual(c.failsafeInbound, [{ protocol: 'tcp', port: 2222 }]);
    assert.deepEqual(c.failsafeOutbound, [{ protocol: 'udp', port: 53, net: '192.0.2.0/24' }]);
    assert.equal(c.logPrefix, 'over');
    assert.equal(c.vxlanPort, 4790);
    assert.equal(c.allowVXLANPacketsFromWorkloads, true);
    assert.deepEqual(resolvePolicyBackend('node1', cfgs), {
      backend: 'iptables',
      iptablesFlavour: 'legacy',
      refreshMs: 30000,
    });
    // A per-node `Auto` (what defaulting stores) keeps the global explicit choice.
    const global = [
      felixConfig('default', { nftablesMode: 'Disabled' }),
      felixConfig('node.node1', { nftablesMode: 'Auto', iptablesBackend: 'Auto' }),
    ];
    assert.equal(resolvePolicyBackend('node1', global).backend, 'iptables');
    const perNode = [
      felixConfig('default', { nftablesMode: 'Disabled' }),
      felixConfig('node.node1', { nftablesMode: 'Enabled' }),
    ];
    assert.equal(resolvePolicyBackend('node1', perNode).backend, 'nftables');
    const enabled = [felixConfig('default', { nftablesMode: 'Auto', iptablesBackend: 'NFT' })];
    assert.deepEqual(resolvePolicyBackend('node1', enabled), {
      backend: 'nftables',
      iptablesFlavour: 'nft',
      refreshMs: 5000,
    });
  });
});
