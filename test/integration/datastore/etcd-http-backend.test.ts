import { after, before } from 'node:test';
import { EtcdHttpBackend } from '../../../src/datastore/etcd-http/etcd-http-backend.js';
import { FallbackEtcdBackend } from '../../../src/datastore/etcd-http/fallback-backend.js';
import { backendConformance } from '../../helpers/backend-conformance.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';

let etcd: EtcdHandle;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

backendConformance('etcd-http', async () => ({
  backend: new EtcdHttpBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 5000 }),
  cleanup: async () => {},
}));

backendConformance('etcd-http over a unix socket', async () => ({
  backend: new EtcdHttpBackend({ endpoints: [etcd.unixEndpoint as string], requestTimeoutMs: 5000 }),
  cleanup: async () => {},
}));

// The wrapper passes everything through while the gateway works (its gRPC side: etcd-http-faults).
backendConformance('etcd-http with gRPC fallback, gateway usable', async () => ({
  backend: new FallbackEtcdBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 5000 }),
  cleanup: async () => {},
}));
