import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDocuments, DecodeError, type Resource } from '../../../src/api/index.js';
import { isCalicoError } from '../../../src/errors/index.js';

function decodeError(text: string, source?: string): DecodeError {
  try {
    decodeDocuments(text, source);
  } catch (e) {
    assert.ok(isCalicoError(e, 'DECODE'), `expected a DECODE error, got ${String(e)}`);
    assert.ok(e instanceof DecodeError);
    return e;
  }
  assert.fail('expected a decode error');
}

const POOL = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool1
spec:
  cidr: 10.1.0.0/16
`;

describe('decodeDocuments', () => {
  it('returns [] for empty input, blank input and comment-only documents', () => {
    assert.deepEqual(decodeDocuments(''), []);
    assert.deepEqual(decodeDocuments('  \n\n'), []);
    assert.deepEqual(decodeDocuments('# nothing here\n---\n---\n'), []);
  });

  it('decodes a single YAML resource', () => {
    const [r] = decodeDocuments(POOL);
    assert.deepEqual(r, {
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'pool1' },
      spec: { cidr: '10.1.0.0/16' },
    });
  });

  it('decodes multi-document YAML, skipping empty documents', () => {
    const text = `---\n${POOL}---\n\n---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: p\nspec:\n  peerIP: 10.0.0.1\n  asNumber: 64513\n`;
    const rs = decodeDocuments(text);
    assert.deepEqual(
      rs.map((r) => r.kind),
      ['IPPool', 'BGPPeer'],
    );
    assert.equal((rs[1].spec as { asNumber: number }).asNumber, 64513);
  });

  it('decodes JSON objects and JSON arrays', () => {
    const one = decodeDocuments(
      '{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"a"},"spec":{"cidr":"10.0.0.0/8","blockSize":24}}',
    );
    assert.equal(one.length, 1);
    assert.equal((one[0].spec as { blockSize: number }).blockSize, 24);
    const many = decodeDocuments(
      '[{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"a"},"spec":{"cidr":"10.0.0.0/8"}},' +
        '{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"t"},"spec":{"order":10}}]',
    );
    assert.deepEqual(
      many.map((r) => `${r.kind}/${r.metadata.name}`),
      ['IPPool/a', 'Tier/t'],
    );
  });

  it('decodes a YAML sequence of resources', () => {
    const rs = decodeDocuments(
      `- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: a}\n  spec: {cidr: 10.0.0.0/8}\n- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: b}\n  spec: {cidr: 11.0.0.0/8}\n`,
    );
    assert.deepEqual(
      rs.map((r) => r.metadata.name),
      ['a', 'b'],
    );
  });

  it('flattens <Kind>List and List documents; typed list items may omit kind', () => {
    const typed = decodeDocuments(
      `apiVersion: projectcalico.org/v3\nkind: IPPoolList\nmetadata:\n  resourceVersion: "12"\nitems:\n- metadata: {name: a}\n  spec: {cidr: 10.0.0.0/8}\n- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: b}\n  spec: {cidr: 11.0.0.0/8}\n`,
    );
    assert.deepEqual(
      typed.map((r) => `${r.kind}/${r.metadata.name}`),
      ['IPPool/a', 'IPPool/b'],
    );
    const generic = decodeDocuments(
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: Tier\n  metadata: {name: t}\n  spec: {order: 5}\n`,
    );
    assert.equal(generic[0].kind, 'Tier');
    assert.deepEqual(decodeDocuments('apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems: []\n'), []);
  });

  it('rejects unknown fields at the top level, in metadata, in spec and deep in spec', () => {
    const cases: [string, string, number][] = [
      [POOL + 'extra: 1\n', 'extra', 7],
      [POOL.replace('  name: pool1', '  name: pool1\n  nmae: x'), 'nmae', 5],
      [POOL + '  ipipMod: Always\n', 'ipipMod', 7],
      [
        'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec:\n  communities:\n  - name: a\n    value: "1:2"\n    vlaue: x\n',
        'vlaue',
        8,
      ],
      [
        'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: Allow\n    source:\n      nets: [10.0.0.0/8]\n      prots: [80]\n',
        'prots',
        9,
      ],
    ];
    for (const [text, field, line] of cases) {
      const e = decodeError(text, 'in.yaml');
      assert.match(
        e.message,
        new RegExp(`^field in document is not recognized or is in the wrong location: ${field} `),
      );
      assert.equal(e.location.line, line, field);
      assert.equal(e.location.source, 'in.yaml');
      assert.ok(e.location.path?.endsWith(field));
      assert.match(e.message, /in in\.yaml, document 1/);
    }
  });

  it('names the document, item and kind of an unknown field', () => {
    const e = decodeError(
      `${POOL}---\n- apiVersion: projectcalico.org/v3\n  kind: Node\n  metadata: {name: n}\n  spec:\n    bgpp: {}\n`,
    );
    assert.equal(e.location.document, 2);
    assert.equal(e.location.item, 0);
    assert.equal(e.location.kind, 'Node');
    assert.equal(e.location.path, 'spec.bgpp');
    assert.match(e.message, /document 2, item 0, kind Node, line 12/);
  });

  it('rejects wrong JSON types with the field path and the expected type', () => {
    let e = decodeError(POOL + '  blockSize: "26"\n');
    assert.match(e.message, /^cannot decode field spec\.blockSize: expected an integer, got string "26"/);
    e = decodeError(POOL + '  blockSize: 26.5\n');
    assert.match(e.message, /expected an integer, got number 26\.5/);
    e = decodeError(POOL + '  natOutgoing: "yes"\n');
    assert.match(e.message, /spec\.natOutgoing: expected a boolean/);
    e = decodeError(POOL + '  allowedUses: Workload\n');
    assert.match(e.message, /spec\.allowedUses: expected a list/);
    e = decodeError(POOL.replace('  name: pool1', '  name: pool1\n  labels: [a]'));
    assert.match(e.message, /metadata\.labels: expected an object/);
    e = decodeError(
      '{\n  "apiVersion": "projectcalico.org/v3",\n  "kind": "IPPool",\n  "spec": {"blockSize": true}\n}',
    );
    assert.match(e.message, /spec\.blockSize: expected an integer, got boolean true/);
    assert.equal(e.location.line, 4);
    // Like calicoctl (sigs.k8s.io/yaml), an unquoted number fills a string field with its text.
    const [j] = decodeDocuments(
      '{"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"a"},"spec":{"cidr":10}}',
    );
    assert.deepEqual(j.spec, { cidr: '10' });
    e = decodeError(
      'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec:\n  serviceClusterIPs:\n  - cidr: [1]\n',
    );
    assert.equal(e.location.path, 'spec.serviceClusterIPs[0].cidr');
  });

  it('fills string fields from unquoted YAML scalars using their text, and drops nulls', () => {
    const [r] = decodeDocuments(
      'apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n\n  creationTimestamp: null\n  labels:\n    version: 1.10\n    enabled: true\nspec: {}\n',
    );
    assert.deepEqual(r.metadata, { name: 'n', labels: { version: '1.10', enabled: 'true' } });
  });

  it('reports unknown or missing kinds and versions in calicoctl words', () => {
    let e = decodeError('apiVersion: projectcalico.org/v3\nkind: IPPol\nmetadata: {name: a}\n');
    assert.match(e.message, /^unknown resource type \(IPPol\) and\/or version \(projectcalico\.org\/v3\)/);
    e = decodeError('apiVersion: projectcalico.org/v2\nkind: IPPool\n');
    assert.match(e.message, /^unknown resource type \(IPPool\) and\/or version \(projectcalico\.org\/v2\)/);
    e = decodeError('metadata: {name: a}\n');
    assert.match(e.message, /^unknown resource type \(\) and\/or version \(\)/);
    e = decodeError('just a string\n');
    assert.match(e.message, /document is not a resource/);
  });

  it('reports malformed YAML with the source, line, column and the parser reason', () => {
    const e = decodeError(
      `${POOL}---\napiVersion: projectcalico.org/v3\nkind: IPPool\nspec:\n  cidr: [10.0.0.0/8\n  x: y\n`,
      'pools.yaml',
    );
    assert.equal(e.location.source, 'pools.yaml');
    assert.equal(e.location.document, 2);
    assert.ok(e.location.line !== undefined && e.location.line >= 10, `line ${e.location.line}`);
    assert.ok(e.location.column !== undefined);
    assert.match(e.message, /^syntax error: .+\(in pools\.yaml, document 2, line \d+, column \d+\)$/);
    const dup = decodeError('apiVersion: projectcalico.org/v3\nkind: IPPool\nkind: IPPool\n');
    assert.match(dup.message, /syntax error/);
    assert.equal(dup.location.line, 3);
  });

  it('supports YAML anchors and merge keys', () => {
    const rs = decodeDocuments(
      'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: a\n  labels: &l {x: y}\n  annotations: *l\nspec:\n  <<: {cidr: 10.0.0.0/8}\n  natOutgoing: true\n',
    );
    const r: Resource = rs[0];
    assert.deepEqual(r.metadata.annotations, { x: 'y' });
    assert.deepEqual(r.spec, { cidr: '10.0.0.0/8', natOutgoing: true });
  });

  it('keeps numorstring values as written (numbers stay numbers, strings stay strings)', () => {
    const [r] = decodeDocuments(
      'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p}\nspec:\n  asNumber: "1.10"\n  localASNumber: 65000\n',
    );
    assert.deepEqual(r.spec, { asNumber: '1.10', localASNumber: 65000 });
  });
});
