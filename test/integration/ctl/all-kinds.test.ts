import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { decodeDocuments } from '../../../src/api/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { ctl } from '../../helpers/ctl.js';

const ALL = readFileSync(new URL('../../../../examples/all-kinds.yaml', import.meta.url), 'utf8');
const resources = decodeDocuments(ALL, 'all-kinds.yaml');

describe('every kind: apply, get -o yaml, re-apply unchanged', () => {
  let etcd: EtcdHandle;
  let env: Record<string, string>;

  before(async () => {
    etcd = await startEtcd();
    env = etcd.env();
    const r = await ctl(env, ['apply', '-f', '-'], ALL);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `Successfully applied ${resources.length} resource(s)\n`);
  });
  after(async () => {
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('covers every kind calicoctl manages except the read-only ClusterInformation', () => {
    const kinds = new Set(resources.map((r) => r.kind));
    assert.equal(kinds.size, 21, [...kinds].join(', '));
  });

  for (const r of resources) {
    const ns = r.metadata.namespace;
    it(`${r.kind} ${ns ? `${ns}/` : ''}${r.metadata.name}`, async () => {
      const args = ['get', r.kind.toLowerCase(), r.metadata.name!, '-o', 'yaml', ...(ns ? ['-n', ns] : [])];
      const first = await ctl(env, args);
      assert.equal(first.code, 0, first.stderr);
      const again = await ctl(env, ['apply', '-f', '-'], first.stdout);
      assert.equal(again.code, 0, again.stderr);
      const second = await ctl(env, args);
      const strip = (s: string) => s.replace(/resourceVersion: .*\n/, '');
      assert.equal(strip(second.stdout), strip(first.stdout));
      // And the JSON form decodes strictly back to the same object.
      const json = await ctl(env, [...args.slice(0, 3), '-o', 'json', ...(ns ? ['-n', ns] : [])]);
      const back = decodeDocuments(json.stdout, 'get -o json')[0];
      assert.equal(back.kind, r.kind);
      assert.equal(back.metadata.name, r.metadata.name);
    });
  }
});
