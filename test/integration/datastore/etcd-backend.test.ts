import { after, before } from 'node:test';
import { EtcdBackend } from '../../../src/datastore/etcd/etcd-backend.js';
import { backendConformance } from '../../helpers/backend-conformance.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';

let etcd: EtcdHandle;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

backendConformance('etcd', async () => ({
  backend: new EtcdBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 5000 }),
  cleanup: async () => {},
}));
