// The etcd launcher lives in src/lab (the demo and the lab start etcd too); tests use it from here.
export * from '../../src/lab/etcd-server.js';
