import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDatastoreReady } from '../../../src/cni/datastore-ready.js';
import type { CniDatastore } from '../../../src/cni/types.js';
import { harness } from './fakes.js';

async function setReady(h: Awaited<ReturnType<typeof harness>>, ready: boolean): Promise<void> {
  const ci = await h.client.get('ClusterInformation', 'default');
  await h.client.update({ ...ci, spec: { ...(ci.spec as object), datastoreReady: ready } });
}

describe('checkDatastoreReady', () => {
  it('reads ClusterInformation every time without readyCacheMs', async () => {
    const h = await harness();
    const ds: CniDatastore = { client: h.client, ipam: h.ipam };
    await checkDatastoreReady(ds);
    await setReady(h, false);
    await assert.rejects(checkDatastoreReady(ds), /not ready/);
  });

  it('reuses a ready answer for readyCacheMs, never a not-ready one', async () => {
    const h = await harness();
    const ds: CniDatastore = { client: h.client, ipam: h.ipam, readyCacheMs: 60_000 };
    await setReady(h, false);
    await assert.rejects(checkDatastoreReady(ds), /not ready/);
    await setReady(h, true);
    await checkDatastoreReady(ds);
    await setReady(h, false);
    // Within the window: the earlier ready answer stands.
    await checkDatastoreReady(ds);
    const short: CniDatastore = { client: h.client, ipam: h.ipam, readyCacheMs: 1 };
    await setReady(h, true);
    await checkDatastoreReady(short);
    await setReady(h, false);
    await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(checkDatastoreReady(short), /not ready/);
  });
});
