import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource, API_VERSION, type Resource } from '../../../src/api/index.js';
import { CalicoError, ValidationError } from '../../../src/errors/index.js';
import { assertRejects, assertValid, errorsOf, res } from './helpers.js';

const pool = (meta: Resource['metadata'] = {}, name = 'pool1') =>
  res('IPPool', name, { cidr: '10.0.0.0/16' }, meta);

describe('generic metadata validation', () => {
  it('requires a name on create, with a note when only generateName is given', () => {
    assertRejects(pool({}, ''), 'metadata.name', 'field must be set for a Create request');
    const errs = errorsOf(res('IPPool', '', { cidr: '10.0.0.0/16' }, { generateName: 'p-' }));
    assert.equal(errs[0].reason, 'field must be set for a Create request (GenerateName is not supported)');
    assertRejects(
      pool({ resourceVersion: '3' }, ''),
      'metadata.name',
      'field must be set for an Update request',
      'update',
    );
  });

  it('applies the DNS-1123 subdomain rule of at most 253 characters by default', () => {
    assertValid(pool({}, 'a.b-c.d0'));
    for (const bad of ['Upper', 'under_score', '-lead', 'trail-', 'a..b', 'a b']) {
      assertRejects(
        pool({}, bad),
        'metadata.name',
        "name must consist of lower case alphanumeric characters, '-' or '.'",
      );
    }
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    assertRejects(pool({}, long), 'metadata.name', 'name is too long by 1 bytes');
  });

  it('requires a namespace on namespaced kinds and forbids it on cluster-scoped ones', () => {
    const np = res('NetworkPolicy', 'p', { selector: 'all()' });
    assertRejects(np, 'metadata.namespace', 'namespace is not specified on namespaced resource');
    assert.deepEqual(
      errorsOf(res('NetworkPolicy', 'p', { selector: 'all()' }, { namespace: 'default' })),
      [],
    );
    assertRejects(pool({ namespace: 'default' }), 'metadata.namespace', 'namespace should not be specified');
    assertRejects(
      res('NetworkSet', 'n', {}, { namespace: 'Bad_NS' }),
      'metadata.namespace',
      'DNS-1123 label',
    );
  });

  it('checks resourceVersion: empty on create, required and numeric on update', () => {
    assertRejects(
      pool({ resourceVersion: '5' }),
      'metadata.resourceVersion',
      'field must not be set for a Create request',
    );
    assertRejects(pool(), 'metadata.resourceVersion', 'field must be set for an Update request', 'update');
    assertRejects(pool({ resourceVersion: 'abc' }), 'metadata.resourceVersion', 'decimal integer', 'update');
    assertRejects(
      pool({ resourceVersion: '99999999999999999999' }),
      'metadata.resourceVersion',
      'decimal integer',
      'update',
    );
    assertValid(pool({ resourceVersion: '9223372036854775807' }), 'update');
  });

  it('checks label keys and values', () => {
    assertValid(pool({ labels: { 'app.kubernetes.io/name': 'web', tier: '', 'A_b.c-d': 'X.y_z-1' } }));
    const bad: [Record<string, string>, string, string][] = [
      [{ 'bad key': 'v' }, 'metadata.labels["bad key"]', 'invalid label key'],
      [{ '/x': 'v' }, 'metadata.labels["/x"]', 'prefix part must be non-empty'],
      [
        { 'Ex.com/x': 'v' },
        'metadata.labels["Ex.com/x"]',
        'prefix part must be a lower case DNS-1123 subdomain',
      ],
      [{ 'a/b/c': 'v' }, 'metadata.labels["a/b/c"]', 'qualified name'],
      [{ [`${'k'.repeat(64)}`]: 'v' }, `metadata.labels.${'k'.repeat(64)}`, 'no more than 63 characters'],
      [{ k: 'bad value' }, 'metadata.labels.k', 'invalid label value'],
      [{ k: 'v'.repeat(64) }, 'metadata.labels.k', 'no more than 63 characters'],
      [{ k: '-v' }, 'metadata.labels.k', 'invalid label value'],
    ];
    for (const [labels, field, reason] of bad) assertRejects(pool({ labels }), field, reason);
  });

  it('checks annotation keys (case-insensitively) and their total size', () => {
    assertValid(pool({ annotations: { 'Example.com/Note': 'any value, even with spaces' } }));
    assertRejects(
      pool({ annotations: { 'a b': 'x' } }),
      'metadata.annotations["a b"]',
      'invalid annotation key',
    );
    const big = { k: 'x'.repeat(256 * 1024) };
    assertRejects(
      pool({ annotations: big }),
      'metadata.annotations',
      'total size of annotations is too large by 1 bytes',
    );
  });

  it('names the resource and every failed field in the error', () => {
    try {
      validateResource(res('IPPool', 'Bad', { cidr: 'nope' }, { resourceVersion: '1' }), 'create');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.code, 'VALIDATION');
      assert.deepEqual(e.resource, { kind: 'IPPool', name: 'Bad' });
      assert.deepEqual(
        e.fields.map((f) => f.field),
        ['metadata.name', 'metadata.resourceVersion', 'spec.cidr'],
      );
      assert.match(
        e.message,
        /^IPPool\(Bad\): error with the following fields:\n- {2}metadata\.name = 'Bad' \(/,
      );
    }
  });

  it('rejects unknown kinds and API versions', () => {
    assert.throws(
      () => validateResource({ apiVersion: API_VERSION, kind: 'Nope', metadata: { name: 'x' } }, 'create'),
      (e: unknown) => e instanceof CalicoError && /unknown resource type \(Nope\)/.test(e.message),
    );
    assert.throws(
      () => validateResource({ apiVersion: 'v1', kind: 'IPPool', metadata: { name: 'x' } }, 'create'),
      /unknown resource type \(IPPool\) and\/or version \(v1\)/,
    );
  });
});
