import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { MemoryBackend } from '../../../src/datastore/index.js';
import { isCalicoError } from '../../../src/errors/index.js';

const gns = (name: string, net = '198.51.100.0/24'): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkSet',
  metadata: { name },
  spec: { nets: [net] },
});

describe('Client.createMany', () => {
  it('creates in batched transactions, one outcome per input, in order', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    await client.create(gns('taken'));
    const inputs = [
      ...Array.from({ length: 300 }, (_, i) => gns(`s${i}`)),
      gns('taken'),
      gns('Bad_Name'),
      gns('s5'), // a repeat of an earlier input in the same call
      gns('bad-net', 'not-a-cidr'),
    ];
    const before = backend.revision;
    const out = await client.createMany(inputs);
    assert.equal(out.length, inputs.length);
    assert.ok(out.slice(0, 300).every((e) => e === undefined));
    assert.ok(isCalicoError(out[300], 'ALREADY_EXISTS'));
    assert.equal(
      (out[300] as Error).message,
      'resource already exists: GlobalNetworkSet(taken) with error: <nil>',
    );
    assert.ok(isCalicoError(out[301], 'VALIDATION'));
    assert.ok(isCalicoError(out[302], 'ALREADY_EXISTS'));
    assert.ok(isCalicoError(out[303], 'VALIDATION'));
    const listed = await client.list('GlobalNetworkSet');
    assert.equal(listed.items.length, 301);
    // 300 creates in ceil(300/128) = 3 transactions (+1 retry after the 'taken' conflict, +1 for the repeat).
    assert.ok(backend.revision - before <= 5n, `used ${backend.revision - before} revisions`);
    const s0 = listed.items.find((r) => r.metadata.name === 's0')!;
    assert.match(s0.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(s0.metadata.creationTimestamp);
    await client.close();
  });
});
