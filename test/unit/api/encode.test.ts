import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeJSON,
  encodeYAML,
  toYAML,
  API_VERSION,
  type Resource,
  type ResourceList,
} from '../../../src/api/index.js';
import { goYamlKeyLess } from '../../../src/api/encode.js';

const pool: Resource = {
  apiVersion: API_VERSION,
  kind: 'IPPool',
  metadata: {
    resourceVersion: '42',
    name: 'pool1',
    creationTimestamp: '2024-05-01T10:00:00Z',
    uid: '6b1c7e0e-0000-4000-8000-000000000001',
    labels: { zone: 'b', app: 'x' },
  },
  spec: {
    nodeSelector: 'all()',
    cidr: '10.244.0.0/16',
    allowedUses: ['Workload', 'Tunnel'],
    ipipMode: 'CrossSubnet',
    vxlanMode: 'Never',
    natOutgoing: true,
    blockSize: 26,
    assignmentMode: 'Automatic',
  },
};

describe('encodeJSON', () => {
  it('writes Go struct order, 2-space indentation and no trailing newline', () => {
    assert.equal(
      encodeJSON(pool),
      `{
  "kind": "IPPool",
  "apiVersion": "projectcalico.org/v3",
  "metadata": {
    "name": "pool1",
    "uid": "6b1c7e0e-0000-4000-8000-000000000001",
    "resourceVersion": "42",
    "creationTimestamp": "2024-05-01T10:00:00Z",
    "labels": {
      "app": "x",
      "zone": "b"
    }
  },
  "spec": {
    "cidr": "10.244.0.0/16",
    "vxlanMode": "Never",
    "ipipMode": "CrossSubnet",
    "natOutgoing": true,
    "blockSize": 26,
    "nodeSelector": "all()",
    "allowedUses": [
      "Workload",
      "Tunnel"
    ],
    "assignmentMode": "Automatic"
  }
}`,
    );
  });

  it('escapes <, > and & like Go and prints an empty spec', () => {
    const out = encodeJSON({
      apiVersion: API_VERSION,
      kind: 'BGPPeer',
      metadata: { name: 'p' },
      spec: { nodeSelector: 'a == "x" && b > 1' },
    });
    assert.ok(out.includes('"nodeSelector": "a == \\"x\\" \\u0026\\u0026 b \\u003e 1"'));
    const empty = encodeJSON({
      apiVersion: API_VERSION,
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
    });
    assert.equal(
      empty,
      '{\n  "kind": "FelixConfiguration",\n  "apiVersion": "projectcalico.org/v3",\n  "metadata": {\n    "name": "default"\n  },\n  "spec": {}\n}',
    );
  });

  it('prints lists with ListMeta and items, and arrays of resources', () => {
    const list: ResourceList = {
      apiVersion: API_VERSION,
      kind: 'IPPoolList',
      metadata: { resourceVersion: '7' },
      items: [],
    };
    assert.equal(
      encodeJSON(list),
      '{\n  "kind": "IPPoolList",\n  "apiVersion": "projectcalico.org/v3",\n  "metadata": {\n    "resourceVersion": "7"\n  },\n  "items": []\n}',
    );
    const arr = JSON.parse(encodeJSON([pool, pool])) as unknown[];
    assert.equal(arr.length, 2);
  });

  it('leaves out zero values of omitempty non-pointer fields, keeps pointer fields', () => {
    const out = JSON.parse(
      encodeJSON({
        apiVersion: API_VERSION,
        kind: 'IPPool',
        metadata: { name: 'p' },
        spec: {
          cidr: '10.0.0.0/16',
          natOutgoing: false,
          disabled: false,
          namespaceSelector: '',
          allowedUses: [],
        },
      }),
    );
    assert.deepEqual(out.spec, { cidr: '10.0.0.0/16' });
    const ipam = JSON.parse(
      encodeJSON({
        apiVersion: API_VERSION,
        kind: 'IPAMConfiguration',
        metadata: { name: 'default' },
        spec: { strictAffinity: false, maxBlocksPerHost: 0, autoAllocateBlocks: true },
      }),
    );
    assert.deepEqual(ipam.spec, { strictAffinity: false, autoAllocateBlocks: true });
    const bgp = JSON.parse(
      encodeJSON({
        apiVersion: API_VERSION,
        kind: 'BGPConfiguration',
        metadata: { name: 'default' },
        spec: { nodeToNodeMeshEnabled: false },
      }),
    );
    assert.deepEqual(bgp.spec, { nodeToNodeMeshEnabled: false });
  });

  it('always prints status for kinds whose Go status is a struct, never for IPPool', () => {
    const node = JSON.parse(
      encodeJSON({ apiVersion: API_VERSION, kind: 'Node', metadata: { name: 'n' }, spec: {} }),
    );
    assert.deepEqual(node.status, {});
    assert.equal(JSON.parse(encodeJSON(pool)).status, undefined);
  });
});

describe('encodeYAML', () => {
  it('sorts keys at every level, does not indent lists under keys, quotes only when needed', () => {
    assert.equal(
      encodeYAML(pool),
      `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  creationTimestamp: "2024-05-01T10:00:00Z"
  labels:
    app: x
    zone: b
  name: pool1
  resourceVersion: "42"
  uid: 6b1c7e0e-0000-4000-8000-000000000001
spec:
  allowedUses:
  - Workload
  - Tunnel
  assignmentMode: Automatic
  blockSize: 26
  cidr: 10.244.0.0/16
  ipipMode: CrossSubnet
  natOutgoing: true
  nodeSelector: all()
  vxlanMode: Never
`,
    );
  });

  it('prints a list object with items as a sequence of maps', () => {
    const list: ResourceList = {
      apiVersion: API_VERSION,
      kind: 'BGPPeerList',
      metadata: { resourceVersion: '9' },
      items: [
        {
          apiVersion: API_VERSION,
          kind: 'BGPPeer',
          metadata: { name: 'peer-to-rrs' },
          spec: { nodeSelector: '!has(calico-route-reflector)', peerSelector: 'has(calico-route-reflector)' },
        },
      ],
    };
    assert.equal(
      encodeYAML(list),
      `apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: BGPPeer
  metadata:
    name: peer-to-rrs
  spec:
    nodeSelector: '!has(calico-route-reflector)'
    peerSelector: has(calico-route-reflector)
kind: BGPPeerList
metadata:
  resourceVersion: "9"
`,
    );
  });

  it('quotes strings that YAML 1.1 would read as other types', () => {
    const cases: [unknown, string][] = [
      ['yes', '"yes"'],
      ['on', '"on"'],
      ['N', '"N"'],
      ['null', '"null"'],
      ['', '""'],
      ['80', '"80"'],
      ['0x1F', '"0x1F"'],
      ['1e3', '"1e3"'],
      ['.5', '".5"'],
      ['10:20', '"10:20"'],
      ['2024-01-01', '"2024-01-01"'],
      ['1000:2000', '1000:2000'],
      ['10.0.0.0/8', '10.0.0.0/8'],
      ['fd00::/64', 'fd00::/64'],
      ['*', "'*'"],
      ['- x', "'- x'"],
      ['a: b', "'a: b'"],
      ['a #b', "'a #b'"],
      [' lead', "' lead'"],
      ["it's", "it's"],
      ["'q'", "'''q'''"],
      ['tab\there', '"tab\\there"'],
      ['has(a) && b == "c"', 'has(a) && b == "c"'],
      [true, 'true'],
      [26, '26'],
      [100.5, '100.5'],
      [1234567.5, '1.2345675e+06'],
      [null, 'null'],
    ];
    for (const [v, want] of cases) assert.equal(toYAML({ k: v }), `k: ${want}\n`, JSON.stringify(v));
  });

  it('prints multi-line strings as literal blocks', () => {
    assert.equal(toYAML({ a: { k: 'line1\nline2\n' } }), 'a:\n  k: |\n    line1\n    line2\n');
    assert.equal(toYAML({ k: 'x\n\ny' }), 'k: |-\n  x\n\n  y\n');
    assert.equal(toYAML({ k: 'x  \ny' }), 'k: "x  \\ny"\n');
  });

  it('folds long plain scalars at column 80 like go-yaml', () => {
    const words = Array.from({ length: 20 }, (_, i) => `has(label${i})`).join(' || ');
    const out = toYAML({ spec: { selector: words } });
    const lines = out.split('\n');
    assert.ok(lines.length > 3);
    assert.ok(lines[1].startsWith('  selector: has(label0)'));
    for (const l of lines.slice(2, -1)) assert.ok(l.startsWith('    '), JSON.stringify(l));
    // Folding is reversible: a YAML reader joins the lines with single spaces.
    assert.equal(
      lines
        .slice(1, -1)
        .map((l) => l.trim())
        .join(' ')
        .replace(/^selector: /, ''),
      words,
    );
  });

  it('prints empty collections inline and nested sequences compactly', () => {
    assert.equal(toYAML({ a: [], b: {}, c: [[1, 2], []] }), 'a: []\nb: {}\nc:\n- - 1\n  - 2\n- []\n');
    assert.equal(toYAML([]), '[]\n');
  });

  it('orders keys like go-yaml (natural numbers, letters after punctuation)', () => {
    const sorted = ['a10', 'a9', 'a', 'b/x', 'b', 'B', 'a.b'].sort((x, y) =>
      goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0,
    );
    assert.deepEqual(sorted, ['B', 'a', 'a.b', 'a9', 'a10', 'b', 'b/x']);
  });

  it('prints several resources as a sequence', () => {
    const out = encodeYAML([pool, pool]);
    assert.ok(out.startsWith('- apiVersion: projectcalico.org/v3\n  kind: IPPool\n'));
  });
});
