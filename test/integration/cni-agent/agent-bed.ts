/**
 * A test bed for the agent with the real plugin: a real etcd, a "host" namespace (etcd reached
 * through a relay), the thin plugin launchers in a CNI_PATH, mini-cnitool, and calico-cni-agent
 * processes started inside the host namespace (the agent wires pods into its own namespace).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, ensureInitialized } from '../../../src/client/index.js';
import { AGENT_TEST_HOOKS_ENV } from '../../../src/cni/agent/agent-handler.js';
import { pluginLauncher } from '../../../src/cni/agent/index.js';
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

export const NODE = 'agent-node';
export const NET = 'agentnet';
const AGENT_BIN = fileURLToPath(new URL('../../../bin/calico-cni-agent.js', import.meta.url));

export interface AgentProcess {
  child: ChildProcess;
  socket: string;
  /** Everything the agent logged so far. */
  log(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit status. */
  stop(): Promise<number | null>;
}

export interface AgentBed {
  etcd: EtcdHandle;
  client: Client;
  ipam: IPAMClient;
  host: Netns;
  tool: CniTool;
  socket: string;
  /** Environment that sends the plugins to the bed's agent socket. */
  viaAgent: Record<string, string>;
  /** Environment that skips the agent (in-process). */
  inProcess: Record<string, string>;
  pod(label: string): Promise<Netns>;
  startAgent(extraArgs?: string[]): Promise<AgentProcess>;
  close(): Promise<void>;
}

export async function startAgentBed(label: string): Promise<AgentBed> {
  const etcd = await startEtcd();
  const client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }), { poolDeleteDelayMs: 0 });
  const cleanups: (() => Promise<unknown> | void)[] = [() => etcd.stop(), () => client.close()];
  const agents: AgentProcess[] = [];
  try {
    await ensureInitialized(client, 'v0.1.0', 'cni');
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: NODE },
      spec: {},
    });
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'agent-pool' },
      spec: { cidr: '10.244.0.0/16', ipipMode: 'Never', vxlanMode: 'Never' },
    });
    const host = await createHostNetns(`${label}-host`);
    cleanups.push(() => host.delete());
    const relay: NetnsRelay = await relayTcpIntoNetns(host, Number(new URL(etcd.clientUrl).port));
    cleanups.push(() => relay.close());
    const tool = new CniTool(host);
    cleanups.push(() => tool.close());
    // The thin plugin, as installed: a node script requiring the CommonJS entry.
    for (const p of ['calico', 'calico-ipam'] as const) {
      writeFileSync(join(tool.binDir, p), pluginLauncher(p), { mode: 0o755 });
    }
    tool.writeConflist(NET, [
      {
        type: 'calico',
        etcd_endpoints: etcd.clientUrl,
        nodename: NODE,
        nodename_file_optional: true,
        ipam_lock_file: join(tool.dir, 'ipam.lock'),
        log_level: 'info',
        ipam: { type: 'calico-ipam' },
      },
    ]);
    const socket = join(tool.dir, 'agent.sock');
    const pods: Netns[] = [];
    cleanups.push(async () => {
      for (const p of pods) await p.delete();
    });
    cleanups.push(async () => {
      for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) await a.stop();
    });
    const bed: AgentBed = {
      etcd,
      client,
      ipam: new IPAMClient(client),
      host,
      tool,
      socket,
      viaAgent: { CALICO_CNI_AGENT_SOCKET: socket },
      inProcess: { CALICO_CNI_AGENT_SOCKET: socket, CALICO_CNI_AGENT: 'false' },
      async pod(l: string) {
        const p = await createNetns(`${label}-${l}`);
        pods.push(p);
        return p;
      },
      async startAgent(extraArgs: string[] = []) {
        const child = spawn(
          'nsenter',
          [`--net=${host.path}`, process.execPath, AGENT_BIN, '--socket', socket, ...extraArgs],
          {
            stdio: ['ignore', 'ignore', 'pipe'],
            // Test hooks on: a request may carry the plugin's pause-after-IPAM marker.
            env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', [AGENT_TEST_HOOKS_ENV]: '1' },
          },
        );
        let log = '';
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        const deadline = Date.now() + 15_000;
        while (!/listening on/.test(log)) {
          if (child.exitCode !== null) throw new Error(`calico-cni-agent exited (${child.exitCode}): ${log}`);
          if (Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`calico-cni-agent did not start: ${log}`);
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        const a: AgentProcess = {
          child,
          socket,
          log: () => log,
          exited,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
            const code = await exited;
            clearTimeout(timer);
            return code;
          },
        };
        agents.push(a);
        return a;
      },
      async close() {
        for (const c of cleanups.reverse()) await c();
      },
    };
    return bed;
  } catch (e) {
    for (const c of cleanups.reverse()) await c();
    throw e;
  }
}

export async function heldBy(bed: AgentBed, handle: string): Promise<string[]> {
  try {
    return await bed.ipam.ipsByHandle(handle);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return [];
    throw e;
  }
}

export async function handles(bed: AgentBed): Promise<string[]> {
  const { items } = await bed.client.backend.list('/calico/ipam/v2/handle/');
  return items.map((kv) => kv.key.slice('/calico/ipam/v2/handle/'.length));
}

export async function weps(bed: AgentBed): Promise<string[]> {
  return (await bed.client.list('WorkloadEndpoint')).items.map((w) => w.metadata.name!);
}

export async function caliLinks(ns: Netns): Promise<string[]> {
  return (await ns.ipJson<{ ifname: string }>('link', 'show'))
    .map((l) => l.ifname)
    .filter((n) => n.startsWith('cali'));
}

export function socketExists(bed: AgentBed): boolean {
  return existsSync(bed.socket);
}

/** Lines in the agent log for one container's commands. */
export function served(a: AgentProcess, command: string, containerId: string): number {
  return a
    .log()
    .split('\n')
    .filter((l) => l.includes(` ${command} ${containerId} -> `)).length;
}
