/**
 * The lab's state file (`<state dir>/state.json`): what exists and which PIDs to stop. It is
 * rewritten after every step of `up`, so a run killed half-way leaves an accurate list for the
 * next `up` or `down`. Writes are atomic (temp file + rename) and read-modify-write cycles hold a
 * lock file, so concurrent `pod add` commands do not lose each other's pods.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { LabError } from './lab-error.js';
import type { LabNames } from './names.js';
import { pidAlive } from './processes.js';

export type LabMode = 'bgp' | 'vxlan';

export interface HostState {
  index: number;
  /** Node name and network namespace name (`<lab>-h<index>`). */
  name: string;
  address: string;
  /** The address's prefix length when it is not the fabric's /24 (`up --subnets 2`). */
  prefixLength?: number;
  dir: string;
  runDir: string;
  stateDir: string;
  logFile: string;
  nodePid?: number;
}

export interface PodState {
  /** A plain pod's name, or `<namespace>/<name>` for a Kubernetes pod. */
  name: string;
  host: string;
  netns: string;
  containerId: string;
  ip?: string;
  /** Set for pods made by `calico-lab apply` (CNI ADD with Kubernetes arguments). */
  k8s?: K8sPodState;
}

/** A Kubernetes pod as applied, and what the lab runs for it. */
export interface K8sPodState {
  namespace: string;
  name: string;
  uid: string;
  createdAt: string;
  /** The Pod object as last applied (metadata, spec), for `get pod -o json`. */
  manifest: Record<string, unknown>;
  /** The WorkloadEndpoint the CNI plugin wrote (name in the pod's namespace). */
  wepName?: string;
  /** The labnet server answering on the pod's container ports. */
  serverPid?: number;
  serverLog?: string;
}

export interface TorState {
  netns: string;
  address: string;
  asNumber: number;
  apiPort: number;
  configFile: string;
  logFile: string;
  pid?: number;
}

export interface EtcdState {
  pid: number;
  dir: string;
  endpoint: string;
  logFile: string;
}

export interface LabState {
  version: 1;
  name: string;
  dir: string;
  mode: LabMode;
  /** The pool's vxlanMode in VXLAN mode (Always when absent). */
  vxlanMode?: 'Always' | 'CrossSubnet';
  /** The router namespace joining the two subnets of `up --subnets 2`. */
  router?: { netns: string; gateways: string[]; outsideAddress: string };
  /** starting: `up` is (or was, if upPid is dead) at work; ready: `up` finished. */
  phase: 'starting' | 'ready';
  upPid: number;
  createdAt: string;
  poolCidr: string;
  blockSize: number;
  fabricNetns: string;
  etcd?: EtcdState;
  hosts: HostState[];
  routeReflectors: string[];
  tor?: TorState;
  pods: PodState[];
}

export function readState(names: LabNames): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(names.stateFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as LabState;
    if (s.version !== 1 || s.name !== names.lab) throw new Error('unexpected content');
    return s;
  } catch (e) {
    throw new LabError(
      `the state file ${names.stateFile} is damaged (${(e as Error).message})`,
      `remove the lab with: calico-lab down${names.lab === 'lab' ? '' : ` --name ${names.lab}`}`,
    );
  }
}

export function writeState(names: LabNames, state: LabState): void {
  mkdirSync(dirname(names.stateFile), { recursive: true });
  const tmp = `${names.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, names.stateFile);
}

/** The state of a lab that `up` finished, or a LabError saying why there is none. */
export function requireState(names: LabNames): LabState {
  const s = readState(names);
  const flag = names.lab === 'lab' ? '' : ` --name ${names.lab}`;
  if (!s) {
    throw new LabError(`no lab '${names.lab}' is running`, `start one with: calico-lab up${flag}`);
  }
  if (s.phase !== 'ready') {
    const hint = pidAlive(s.upPid)
      ? `wait for 'calico-lab up' (pid ${s.upPid}) to finish`
      : `its 'calico-lab up' did not finish; start again with: calico-lab up${flag}`;
    throw new LabError(`lab '${names.lab}' is not ready`, hint);
  }
  return s;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` holding the lab's lock file; a lock left by a dead process is taken over. */
export async function withStateLock<T>(names: LabNames, fn: () => Promise<T>): Promise<T> {
  mkdirSync(names.dir, { recursive: true });
  const deadline = Date.now() + 60_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(names.lockFile, 'wx');
      writeSync(fd, String(process.pid));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(names.lockFile, 'utf8').trim());
      } catch {
        continue; // released meanwhile
      }
      if (holder && !pidAlive(holder)) {
        rmSync(names.lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new LabError(`lab '${names.lab}' is busy (pid ${holder} holds ${names.lockFile})`);
      }
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    closeSync(fd);
    rmSync(names.lockFile, { force: true });
  }
}
