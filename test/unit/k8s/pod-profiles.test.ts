import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyDefaults,
  validateResource,
  workloadEndpointName,
  API_VERSION,
  type Resource,
} from '../../../src/api/index.js';
import { parseSelector } from '../../../src/selector/index.js';
import {
  convertNamespace,
  convertPod,
  convertServiceAccount,
  K8sInputError,
  type K8sPod,
} from '../../../src/k8s/index.js';

const podA: K8sPod = {
  metadata: {
    name: 'podA',
    namespace: 'default',
    annotations: { arbitrary: 'annotation' },
    labels: { labelA: 'valueA', labelB: 'valueB' },
  },
  spec: {
    nodeName: 'nodeA',
    containers: [
      { ports: [{ containerPort: 5678 }, { name: 'no-proto', containerPort: 1234 }] },
      {
        ports: [
          { name: 'tcp-proto', protocol: 'TCP', containerPort: 1024 },
          { name: 'tcp-proto-with-host-port', protocol: 'TCP', containerPort: 8080, hostPort: 5678 },
          {
            name: 'tcp-proto-with-host-port-and-ip',
            protocol: 'TCP',
            containerPort: 8081,
            hostPort: 6789,
            hostIP: '1.2.3.4',
          },
          { protocol: 'TCP', containerPort: 500, hostPort: 5000 },
          { name: 'udp-proto', protocol: 'UDP', containerPort: 432 },
          { name: 'sctp-proto', protocol: 'SCTP', containerPort: 891 },
          { name: 'unkn-proto', protocol: 'unknown', containerPort: 567 },
        ],
      },
    ],
  },
  status: { podIP: '192.168.0.1' },
};

/** The pod's endpoint as a resource, for the validator. */
function wepOf(pod: K8sPod): Resource {
  const { labels, spec } = convertPod(pod);
  return {
    apiVersion: API_VERSION,
    kind: 'WorkloadEndpoint',
    metadata: { name: workloadEndpointName(spec), namespace: labels['projectcalico.org/namespace'], labels },
    spec: spec as Record<string, unknown>,
  };
}

describe('convertPod', () => {
  it('converts a pod with an IP (Calico conversion test)', () => {
    assert.deepStrictEqual(convertPod(podA), {
      labels: {
        labelA: 'valueA',
        labelB: 'valueB',
        'projectcalico.org/namespace': 'default',
        'projectcalico.org/orchestrator': 'k8s',
      },
      spec: {
        orchestrator: 'k8s',
        node: 'nodeA',
        pod: 'podA',
        endpoint: 'eth0',
        ipNetworks: ['192.168.0.1/32'],
        profiles: ['kns.default'],
        interfaceName: 'cali7f94ce7c295',
        ports: [
          { name: 'no-proto', protocol: 'TCP', port: 1234 },
          { name: 'tcp-proto', protocol: 'TCP', port: 1024 },
          { name: 'tcp-proto-with-host-port', protocol: 'TCP', port: 8080, hostPort: 5678 },
          {
            name: 'tcp-proto-with-host-port-and-ip',
            protocol: 'TCP',
            port: 8081,
            hostPort: 6789,
            hostIP: '1.2.3.4',
          },
          { protocol: 'TCP', port: 500, hostPort: 5000 },
          { name: 'udp-proto', protocol: 'UDP', port: 432 },
          { name: 'sctp-proto', protocol: 'SCTP', port: 891 },
        ],
      },
    });
    assert.equal(workloadEndpointName(convertPod(podA).spec), 'nodeA-k8s-podA-eth0');
  });

  it('adds the service-account label and profile; long names get no label', () => {
    const pod: K8sPod = {
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
      spec: { nodeName: 'node-1', serviceAccountName: 'sa-test' },
      status: { podIPs: [{ ip: '198.51.100.5' }, { ip: 'fd00::5' }] },
    };
    const { labels, spec } = convertPod(pod);
    assert.deepStrictEqual(labels, {
      app: 'web',
      'projectcalico.org/namespace': 'shop',
      'projectcalico.org/orchestrator': 'k8s',
      'projectcalico.org/serviceaccount': 'sa-test',
    });
    assert.equal(spec.serviceAccountName, 'sa-test');
    assert.deepStrictEqual(spec.profiles, ['kns.shop', 'ksa.shop.sa-test']);
    assert.deepStrictEqual(spec.ipNetworks, ['198.51.100.5/32', 'fd00::5/128']);
    assert.equal(spec.ports, undefined);

    const longName =
      'serviceaccount-name-that-is-too-long-to-be-used-as-a-kubernetes-label-because-it-exceeds-the-character-limit';
    const long = convertPod({ ...pod, spec: { ...pod.spec, serviceAccountName: longName } });
    assert.equal(long.labels['projectcalico.org/serviceaccount'], undefined);
    assert.equal(long.spec.serviceAccountName, longName);
    assert.deepStrictEqual(long.spec.profiles, ['kns.shop', `ksa.shop.${longName}`]);
  });

  it('reads IPs from Calico annotations, and drops them once the pod has finished', () => {
    const base: K8sPod = { metadata: { name: 'podB', namespace: 'default' }, spec: { nodeName: 'nodeA' } };
    const ann = (a: Record<string, string>): K8sPod => ({
      ...base,
      metadata: { ...base.metadata, annotations: a },
    });
    assert.deepStrictEqual(
      convertPod(ann({ 'cni.projectcalico.org/podIP': '192.168.0.1' })).spec.ipNetworks,
      ['192.168.0.1/32'],
    );
    assert.deepStrictEqual(
      convertPod(
        ann({
          'cni.projectcalico.org/podIP': '192.168.0.1/32',
          'cni.projectcalico.org/podIPs': '192.168.0.1/32,fd5f:8067::1/128',
        }),
      ).spec.ipNetworks,
      ['192.168.0.1/32', 'fd5f:8067::1/128'],
    );
    const noIPs = convertPod(base);
    assert.equal(noIPs.spec.ipNetworks, undefined);
    assert.equal(noIPs.spec.interfaceName, 'cali92cf1f5e9f6');
    assert.deepStrictEqual(noIPs.labels, {
      'projectcalico.org/namespace': 'default',
      'projectcalico.org/orchestrator': 'k8s',
    });
    for (const phase of ['Succeeded', 'Failed', 'Completed']) {
      assert.equal(
        convertPod({ ...base, status: { podIP: '192.168.0.1', phase } }).spec.ipNetworks,
        undefined,
        phase,
      );
    }
    for (const phase of ['Pending', 'Running', 'Unknown']) {
      assert.deepStrictEqual(
        convertPod({ ...base, status: { podIP: '192.168.0.1', phase } }).spec.ipNetworks,
        ['192.168.0.1/32'],
      );
    }
    const deleting: K8sPod = {
      metadata: {
        ...base.metadata,
        deletionTimestamp: '2024-01-01T00:00:00Z',
        annotations: { 'cni.projectcalico.org/podIP': '' },
      },
      spec: base.spec,
      status: { podIP: '192.168.0.1', phase: 'Running' },
    };
    assert.equal(convertPod(deleting).spec.ipNetworks, undefined);
  });

  it('takes the container id annotation and the interface prefix option', () => {
    const pod: K8sPod = {
      metadata: {
        name: 'podA',
        namespace: 'namespace',
        annotations: { 'cni.projectcalico.org/containerID': 'abc123' },
      },
      spec: { nodeName: 'n' },
    };
    const { spec } = convertPod(
      { ...pod, metadata: { ...pod.metadata, name: 'podname' } },
      { interfacePrefix: 'eni' },
    );
    assert.equal(spec.interfaceName, 'eni82111e10a96');
    assert.equal(spec.containerID, 'abc123');
  });

  it('produces endpoints that pass WorkloadEndpoint validation', () => {
    const pods: K8sPod[] = [
      {
        metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
        spec: {
          nodeName: 'node-1',
          serviceAccountName: 'default',
          containers: [
            { ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] },
            {
              ports: [
                { name: 'dns', protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIP: '198.51.100.1' },
              ],
            },
          ],
          initContainers: [{ ports: [{ protocol: 'TCP', containerPort: 500, hostPort: 5000 }] }],
        },
        status: { podIPs: [{ ip: '198.51.100.9' }, { ip: 'fd00::9' }] },
      },
      { metadata: { name: 'bare' }, spec: { nodeName: 'node-2' } },
    ];
    for (const pod of pods) assert.doesNotThrow(() => validateResource(applyDefaults(wepOf(pod)), 'create'));
    assert.deepStrictEqual(convertPod(pods[0]).spec.ports, [
      { name: 'http', protocol: 'TCP', port: 8080 },
      { name: 'dns', protocol: 'UDP', port: 53, hostPort: 5353, hostIP: '198.51.100.1' },
      { protocol: 'TCP', port: 500, hostPort: 5000 },
    ]);
  });

  it('rejects malformed pods with K8sInputError naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ metadata: { namespace: 'x' }, spec: { nodeName: 'n' } }, /metadata\.name/],
      [{ metadata: { name: 'p' }, spec: {} }, /spec\.nodeName/],
      [
        { metadata: { name: 'p' }, spec: { nodeName: 'n' }, status: { podIP: 'not-an-ip' } },
        /status\.podIP = 'not-an-ip'/,
      ],
      [{ metadata: { name: 'p', labels: { a: 1 } }, spec: { nodeName: 'n' } }, /metadata\.labels\.a/],
      [{ metadata: { name: 'p' }, spec: { nodeName: 'n', containers: {} } }, /spec\.containers/],
    ];
    for (const [input, re] of cases) {
      assert.throws(
        () => convertPod(input as K8sPod),
        (e: unknown) => e instanceof K8sInputError && re.test(e.message),
        String(re),
      );
    }
  });
});

describe('convertNamespace / convertServiceAccount', () => {
  it('#23 Namespace default with labels → Profile kns.default', () => {
    const p = convertNamespace({
      metadata: {
        name: 'default',
        labels: { foo: 'bar', roger: 'rabbit' },
        annotations: {},
        uid: '30316465-6365-4463-ad63-3564622d3638',
      },
    });
    assert.deepStrictEqual(p, {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Profile',
      metadata: { name: 'kns.default' },
      spec: {
        ingress: [{ action: 'Allow' }],
        egress: [{ action: 'Allow' }],
        labelsToApply: {
          'pcns.foo': 'bar',
          'pcns.roger': 'rabbit',
          'pcns.projectcalico.org/name': 'default',
        },
      },
    });
    assert.doesNotThrow(() => validateResource(applyDefaults(p as unknown as Resource), 'create'));
  });

  it('Namespace without labels: only the name label', () => {
    assert.deepStrictEqual(convertNamespace({ metadata: { name: 'kube-system' } }).spec?.labelsToApply, {
      'pcns.projectcalico.org/name': 'kube-system',
    });
  });

  it('ServiceAccount → Profile ksa.<ns>.<sa> with no rules', () => {
    const p = convertServiceAccount({
      metadata: { name: 'sa-test', labels: { foo: 'bar', roger: 'rabbit' } },
    });
    assert.deepStrictEqual(p, {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Profile',
      metadata: { name: 'ksa.default.sa-test' },
      spec: {
        labelsToApply: {
          'pcsa.foo': 'bar',
          'pcsa.roger': 'rabbit',
          'pcsa.projectcalico.org/name': 'sa-test',
        },
      },
    });
    assert.equal(
      convertServiceAccount({ metadata: { name: 'sa-test', namespace: 'test' } }).metadata.name,
      'ksa.test.sa-test',
    );
    assert.doesNotThrow(() => validateResource(applyDefaults(p as unknown as Resource), 'create'));
  });

  it('profile labels let pcns./pcsa. selectors match the pod (profile label inheritance)', () => {
    const nsProfile = convertNamespace({ metadata: { name: 'shop', labels: { team: 'x' } } });
    const saProfile = convertServiceAccount({
      metadata: { name: 'api', namespace: 'shop', labels: { role: 'backend' } },
    });
    const { labels, spec } = convertPod({
      metadata: { name: 'p', namespace: 'shop' },
      spec: { nodeName: 'n', serviceAccountName: 'api' },
    });
    const profiles = new Map(
      [nsProfile, saProfile].map((p) => [p.metadata.name, p.spec?.labelsToApply ?? {}]),
    );
    // Endpoint labels win; then each profile in order.
    const lookup = (k: string): string | undefined =>
      labels[k] ?? spec.profiles?.map((n) => profiles.get(n)?.[k]).find((v) => v !== undefined);
    for (const [sel, want] of [
      ["pcns.team == 'x'", true],
      ["pcns.projectcalico.org/name == 'shop'", true],
      ["pcsa.role == 'backend' && pcsa.projectcalico.org/name == 'api'", true],
      ["pcns.team == 'y'", false],
    ] as const) {
      assert.equal(parseSelector(sel).evaluate(lookup), want, sel);
    }
  });

  it('rejects objects without a name', () => {
    assert.throws(() => convertNamespace({ metadata: {} }), K8sInputError);
    assert.throws(() => convertServiceAccount({ metadata: { name: '' } }), /metadata\.name/);
  });
});
