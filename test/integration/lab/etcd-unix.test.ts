import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startEtcd } from '../../helpers/etcd.js';
import { createNetns } from '../../helpers/netns.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const run = promisify(execFile);
const CALICOCTL = fileURLToPath(new URL('../../../bin/calicoctl.js', import.meta.url));

describe('etcd over a unix socket', () => {
  it('is reachable from inside a network namespace without any route to the root namespace', async () => {
    const etcd = await startEtcd();
    const ns = await createNetns('etcdunix');
    try {
      assert.ok(etcd.unixEndpoint?.startsWith('unix:///'));
      await etcd.etcdctl([
        'put',
        '/calico/resources/v3/projectcalico.org/globalnetworksets/from-root',
        '{"kind":"GlobalNetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"from-root"},"spec":{"nets":["198.51.100.0/24"]}}',
      ]);
      const { stdout } = await run(
        'nsenter',
        [`--net=${ns.path}`, process.execPath, CALICOCTL, 'get', 'gnetsets'],
        {
          env: { PATH: process.env.PATH ?? '', ETCD_ENDPOINTS: etcd.unixEndpoint! },
        },
      );
      assert.match(stdout, /^NAME\s+\nfrom-root\s+\n\n$/);
    } finally {
      await ns.delete();
      await etcd.stop();
    }
    await assertNoLeaks();
  });
});
