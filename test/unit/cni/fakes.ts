/** Fakes for dispatcher unit tests: a memory datastore with real IPAM, and a recording dataplane. */
import type { Resource } from '../../../src/api/index.js';
import { Client, ensureInitialized } from '../../../src/client/index.js';
import { MemoryBackend } from '../../../src/datastore/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';
import type { CniDatastore, CniDeps, CniRequest } from '../../../src/cni/index.js';
import type { Dataplane, PodWiring } from '../../../src/cni/dataplane/dataplane.js';
import { CniCode, CniError } from '../../../src/cni/cni-error.js';

export class FakeDataplane implements Dataplane {
  readonly veths = new Map<string, PodWiring & { mac: string }>();
  calls: string[] = [];
  failSetup?: Error;
  checkProblems: string[] = [];
  private n = 0;

  async setup(w: PodWiring): Promise<{ containerMac: string }> {
    this.calls.push(`setup ${w.hostVeth}`);
    if (this.failSetup) throw this.failSetup;
    const mac = `02:00:00:00:00:${(++this.n).toString(16).padStart(2, '0')}`;
    this.veths.set(w.hostVeth, { ...w, mac });
    return { containerMac: mac };
  }
  async hostVethExists(name: string): Promise<boolean> {
    return this.veths.has(name);
  }
  async removeHostVeth(name: string): Promise<void> {
    this.calls.push(`removeHostVeth ${name}`);
    this.veths.delete(name);
  }
  async removeContainerInterface(netns: string, ifname: string): Promise<boolean> {
    this.calls.push(`removeContainerInterface ${netns} ${ifname}`);
    for (const [k, v] of this.veths) {
      if (v.netns === netns && v.ifname === ifname) {
        this.veths.delete(k);
        return true;
      }
    }
    return false;
  }
  async check(w: PodWiring): Promise<string[]> {
    const v = this.veths.get(w.hostVeth);
    if (!v) return [`host interface ${w.hostVeth} does not exist`];
    return [...this.checkProblems];
  }
}

export function pool(name: string, cidr: string, spec: Record<string, unknown> = {}): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr, ...spec } };
}

export interface Harness {
  backend: MemoryBackend;
  client: Client;
  ipam: IPAMClient;
  dataplane: FakeDataplane;
  deps: CniDeps;
  files: Map<string, string>;
  /** Make every datastore call fail (an unreachable etcd). */
  breakDatastore(on: boolean): void;
}

export async function harness(resources: Resource[] = [], node = 'node1'): Promise<Harness> {
  const backend = new MemoryBackend();
  const client = new Client(backend, { poolDeleteDelayMs: 0 });
  await ensureInitialized(client, 'v0.1.0', 'cni');
  await client.create({
    apiVersion: 'projectcalico.org/v3',
    kind: 'Node',
    metadata: { name: node },
    spec: {},
  });
  for (const r of resources) await client.create(r);
  const ipam = new IPAMClient(backend, client);
  client.ipamHooks = ipam.clientHooks();
  const dataplane = new FakeDataplane();
  const files = new Map<string, string>();
  let broken = false;
  const ds: CniDatastore = { client, ipam };
  const h: Harness = {
    backend,
    client,
    ipam,
    dataplane,
    files,
    breakDatastore: (on) => (broken = on),
    deps: {
      async datastore() {
        if (broken) {
          throw new CniError(CniCode.TRY_AGAIN_LATER, 'could not connect to etcd (fake)');
        }
        return ds;
      },
      dataplane,
      readFile: (p) => files.get(p),
      hostname: () => 'OS-Host',
    },
  };
  return h;
}

export const ETCD = 'http://127.0.0.1:2379';

export function netconf(extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}) {
  return {
    cniVersion: '1.0.0',
    name: 'net1',
    type: 'calico',
    etcd_endpoints: ETCD,
    nodename: 'node1',
    nodename_file_optional: true,
    ipam_lock_file: `/tmp/cts-unit-cni-${process.pid}.lock`,
    ipam: { type: 'calico-ipam', ...ipam },
    ...extra,
  };
}

export function request(
  command: CniRequest['command'],
  conf: unknown,
  env: Record<string, string> = {},
  plugin: CniRequest['plugin'] = 'calico',
): CniRequest {
  return {
    command,
    plugin,
    stdin: typeof conf === 'string' ? conf : JSON.stringify(conf),
    env: {
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/pod1',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin',
      ...env,
    },
  };
}

export const k8sArgs = (ns: string, pod: string) => ({
  CNI_ARGS: `K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${pod}`,
});
