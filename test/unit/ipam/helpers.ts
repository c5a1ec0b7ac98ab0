/** Shared set-up for IPAM unit tests: a MemoryBackend with pools, nodes and an IPAMClient. */
import type { Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { MemoryBackend } from '../../../src/datastore/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';

export function pool(name: string, cidr: string, spec: Record<string, unknown> = {}): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr, ...spec } };
}

export function node(name: string, labels: Record<string, string> = {}): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name, labels }, spec: {} };
}

export function reservation(name: string, cidrs: string[]): Resource {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'IPReservation',
    metadata: { name },
    spec: { reservedCIDRs: cidrs },
  };
}

export interface Env {
  backend: MemoryBackend;
  client: Client;
  ipam: IPAMClient;
  clock: { now: Date };
}

export async function setup(resources: Resource[], opts: { start?: Date } = {}): Promise<Env> {
  const backend = new MemoryBackend();
  const client = new Client(backend, { poolDeleteDelayMs: 0 });
  for (const r of resources) await client.create(r);
  const clock = { now: opts.start ?? new Date('2026-01-01T00:00:00Z') };
  const ipam = new IPAMClient(backend, client, { now: () => clock.now });
  client.ipamHooks = ipam.clientHooks();
  return { backend, client, ipam, clock };
}

export function v4(env: Env, host: string, handleId: string, num = 1, extra: Record<string, unknown> = {}) {
  return env.ipam.autoAssign({
    num4: num,
    num6: 0,
    handleId,
    hostname: host,
    intendedUse: 'Workload',
    attrs: { node: host, pod: handleId, namespace: 'default' },
    ...extra,
  });
}
