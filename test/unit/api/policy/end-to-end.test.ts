import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyDefaults,
  applyReadDefaults,
  DecodeError,
  decodeDocuments,
  encodeJSON,
  encodeYAML,
  kindByAlias,
  validateResource,
} from '../../../../src/api/index.js';
import { ValidationError } from '../../../../src/errors/index.js';

/** decode → defaults → validate, as calicoctl create does. */
function load(yaml: string) {
  return decodeDocuments(yaml, 'test.yaml').map((r) => {
    const d = applyDefaults(r);
    validateResource(d, 'create');
    return d;
  });
}

describe('policy kinds through the api entry points', () => {
  it('decodes, defaults, validates and encodes a NetworkPolicy in Calico field order', () => {
    const [np] = load(`
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: prod
spec:
  selector: app == 'web'
  ingress:
    - action: Allow
      protocol: tcp
      destination:
        ports: ["80", "8000:8080"]
      source: {}
  order: 10
`);
    assert.deepEqual(JSON.parse(encodeJSON(np)).spec, {
      tier: 'default',
      order: 10,
      ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80, '8000:8080'] } }],
      selector: "app == 'web'",
      types: ['Ingress'],
    });
    assert.deepEqual(Object.keys(JSON.parse(encodeJSON(np)).spec), [
      'tier',
      'order',
      'ingress',
      'selector',
      'types',
    ]);
    assert.equal(np.metadata.labels?.['projectcalico.org/tier'], 'default');
    assert.ok(!encodeYAML(np).includes('status'));
  });

  it('reports rule errors with JSON paths in the ValidationError message', () => {
    assert.throws(
      () =>
        load(`
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: default}
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [80, "2000:1000"]
`),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.message ===
          "NetworkPolicy(default/p): error with field spec.ingress[0].destination.ports[1] = '2000:1000' " +
            '(minimum port number (2000) is greater than maximum port number (1000) in port range)',
    );
  });

  it('rejects unknown rule fields while decoding', () => {
    assert.throws(
      () =>
        decodeDocuments(
          'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec:\n  ingress:\n  - action: Allow\n    port: 80\n',
        ),
      DecodeError,
    );
  });

  it('collects name and spec errors of a GlobalNetworkPolicy together', () => {
    assert.throws(
      () =>
        load(
          'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: a.b.c}\nspec:\n  preDNAT: true\n  egress: [{action: Deny}]\n',
        ),
      (e: unknown) =>
        e instanceof ValidationError &&
        ['metadata.name', 'spec.egress', 'spec.types', 'spec.applyOnForward'].every((f) =>
          e.fields.some((x) => x.field === f),
        ),
    );
  });

  it('names a WorkloadEndpoint from its spec and labels it', () => {
    const [wep] = load(`
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {namespace: prod}
spec:
  orchestrator: k8s
  node: node-1
  pod: web-0
  endpoint: eth0
  interfaceName: cali12345
  ipNetworks: [10.65.0.5/32]
`);
    assert.equal(wep.metadata.name, 'node--1-k8s-web--0-eth0');
    assert.equal(wep.metadata.labels?.['projectcalico.org/namespace'], 'prod');
    assert.throws(
      () =>
        load(
          'apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: wrong, namespace: prod}\nspec: {orchestrator: cni, node: n, containerID: abc, endpoint: eth0, interfaceName: caliabc}\n',
        ),
      /metadata\.name = 'wrong' \(the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name n-cni-abc-eth0\)/,
    );
  });

  it('defaults a Tier and pins built-in tiers', () => {
    const [tier] = load(
      'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n',
    );
    assert.deepEqual(tier.spec, { order: 100, defaultAction: 'Deny' });
    assert.throws(
      () =>
        load('apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 5}\n'),
      /default tier order must be 1000000/,
    );
  });

  it('adds the tier label on read and resolves aliases', () => {
    const stored = decodeDocuments(
      'apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: s}\nspec: {tier: sec}\n',
    )[0];
    assert.equal(applyReadDefaults(stored).metadata.labels?.['projectcalico.org/tier'], 'sec');
    for (const [alias, kind] of [
      ['pols', 'NetworkPolicy'],
      ['GNP', 'GlobalNetworkPolicy'],
      ['spol', 'StagedNetworkPolicy'],
      ['sgnps', 'StagedGlobalNetworkPolicy'],
      ['skpol', 'StagedKubernetesNetworkPolicy'],
      ['tiers', 'Tier'],
      ['pros', 'Profile'],
      ['netsets', 'NetworkSet'],
      ['gnetsets', 'GlobalNetworkSet'],
      ['heps', 'HostEndpoint'],
      ['weps', 'WorkloadEndpoint'],
    ]) {
      assert.equal(kindByAlias(alias)?.kind, kind, alias);
    }
  });
});
