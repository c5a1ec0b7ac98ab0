/**
 * A CNI test bed: a real etcd, a "host" namespace the plugin runs in (etcd reached through a
 * relay), pod namespaces, and mini-cnitool driving the real `calico` plugin through libcni.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Resource } from '../../../src/api/index.js';
import { Client, ensureInitialized } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';
import { CniTool } from '../../helpers/cnitool.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import {
  createHostNetns,
  createNetns,
  relayTcpIntoNetns,
  type Netns,
  type NetnsRelay,
} from '../../helpers/netns.js';

export const NODE = 'node1';

export interface Bed {
  etcd: EtcdHandle;
  client: Client;
  ipam: IPAMClient;
  host: Netns;
  relay: NetnsRelay;
  tool: CniTool;
  pods: Netns[];
  /** The calico plugin's config with test defaults; `extra` and `ipam` override. */
  calico(extra?: Record<string, unknown>, ipam?: Record<string, unknown>): Record<string, unknown>;
  pod(label: string): Promise<Netns>;
  close(): Promise<void>;
}

export function pool(name: string, cidr: string, spec: Record<string, unknown> = {}): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr, ...spec } };
}

export async function startBed(label: string, resources: Resource[]): Promise<Bed> {
  const etcd = await startEtcd();
  const client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }), { poolDeleteDelayMs: 0 });
  const cleanups: (() => Promise<void> | void)[] = [() => etcd.stop(), () => client.close()];
  try {
    await ensureInitialized(client, 'v0.1.0', 'cni');
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: NODE },
      spec: {},
    });
    for (const r of resources) await client.create(r);
    const ipam = new IPAMClient(client);
    const host = await createHostNetns(`${label}-host`);
    cleanups.push(() => host.delete());
    const relay = await relayTcpIntoNetns(host, Number(new URL(etcd.clientUrl).port));
    cleanups.push(() => relay.close());
    const tool = new CniTool(host);
    cleanups.push(() => tool.close());
    const pods: Netns[] = [];
    cleanups.push(async () => {
      for (const p of pods) await p.delete();
    });
    return {
      etcd,
      client,
      ipam,
      host,
      relay,
      tool,
      pods,
      calico: (extra = {}, ipamConf = {}) => ({
        type: 'calico',
        etcd_endpoints: etcd.clientUrl,
        nodename: NODE,
        nodename_file_optional: true,
        ipam_lock_file: `${tool.dir}/ipam.lock`,
        log_level: 'info',
        ipam: { type: 'calico-ipam', ...ipamConf },
        ...extra,
      }),
      async pod(l: string) {
        const p = await createNetns(`${label}-${l}`);
        pods.push(p);
        return p;
      },
      async close() {
        for (const c of cleanups.reverse()) await c();
      },
    };
  } catch (e) {
    for (const c of cleanups.reverse()) await c();
    throw e;
  }
}

/**
 * etcd.restart() after kill(): a SIGKILLed etcd leaves its unix listener's socket file behind, which
 * the restarted etcd cannot bind; remove it first.
 */
export async function restartEtcd(bed: Bed): Promise<void> {
  const unix = bed.etcd.unixEndpoint;
  if (unix) rmSync(unix.replace(/^unix:\/\//, ''), { force: true });
  await bed.etcd.restart();
}

export async function heldBy(bed: Bed, handle: string): Promise<string[]> {
  try {
    return await bed.ipam.ipsByHandle(handle);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return [];
    throw e;
  }
}

export async function handles(bed: Bed): Promise<string[]> {
  const { items } = await bed.client.backend.list('/calico/ipam/v2/handle/');
  return items.map((kv) => kv.key.slice('/calico/ipam/v2/handle/'.length));
}

export async function allWeps(bed: Bed): Promise<string[]> {
  return (await bed.client.list('WorkloadEndpoint')).items.map(
    (w) => `${w.metadata.namespace}/${w.metadata.name}`,
  );
}

/** Names of cali* interfaces in a namespace. */
export async function caliLinks(ns: Netns): Promise<string[]> {
  return (await ns.ipJson<{ ifname: string }>('link', 'show'))
    .map((l) => l.ifname)
    .filter((n) => n.startsWith('cali'));
}

/** Nothing of a failed or deleted pod remains: no veth, no eth0, no endpoint, no handle. */
export async function assertNothingLeft(
  bed: Bed,
  pods: Netns[],
  what: string,
  otherHandles: string[] = [],
): Promise<void> {
  assert.deepEqual(await caliLinks(bed.host), [], `${what}: host veths left`);
  const hostRoutes = await bed.host.ip('-o', 'route', 'show', 'table', 'all');
  assert.doesNotMatch(hostRoutes, /dev cali/, `${what}: host routes left`);
  for (const p of pods) {
    const links = (await p.ipJson<{ ifname: string }>('link', 'show')).map((l) => l.ifname);
    assert.deepEqual(links, ['lo'], `${what}: pod ${p.name} interfaces left`);
  }
  assert.deepEqual(await allWeps(bed), [], `${what}: WorkloadEndpoints left`);
  const left = (await handles(bed)).filter((h) => !otherHandles.includes(h));
  assert.deepEqual(left, [], `${what}: IPAM handles left`);
}
