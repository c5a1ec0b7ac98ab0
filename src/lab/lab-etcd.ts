/**
 * The lab's etcd. Unlike etcd-server.ts (a throwaway etcd owned by a test process and killed with
 * it), this one must outlive `calico-lab up`, so it is started detached and recorded by PID in the
 * state file. The flags are those etcd-server.ts uses (a unix listener beside TCP) but with etcd's
 * default raft timers; and it runs inside the fabric namespace, whose loopback nothing else uses,
 * so the fixed ports 2379/2380 never collide and the root namespace gets no listener. Every lab
 * process reaches it through the unix socket, a file that works from any namespace.
 */
import { existsSync, mkdirSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { LabError } from './lab-error.js';
import { netnsPath, type LabNames } from './names.js';
import { LAB_MARKER_VAR, logTail, pidAlive, startDetached } from './processes.js';
import { baseEnv } from './run-command.js';
import type { EtcdState } from './state.js';

const ETCD_BIN = existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : 'etcd';
/** The unix listener, relative to etcd's working directory (etcd wants a host:port shape). */
const UNIX_LISTENER = 'etcd.sock:2379';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function etcdArgs(dataDir: string): string[] {
  const client = 'http://127.0.0.1:2379';
  const peer = 'http://127.0.0.1:2380';
  return [
    '--name=calico-lab',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client},unix://${UNIX_LISTENER}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=calico-lab=${peer}`,
    '--initial-cluster-state=new',
    // etcd's defaults. A 10 ms heartbeat costs ~2.7% of a CPU while idle, which the lab's
    // benchmarks pay; a single member elects itself at start-up quickly either way (~0.1-0.7 s).
    '--heartbeat-interval=100',
    '--election-timeout=1000',
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
  ];
}

/** etcd's /health over its unix socket. */
export function etcdHealthy(dir: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { socketPath: join(dir, UNIX_LISTENER), path: '/health', agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Starts etcd in the fabric namespace and waits until it answers /health (at most 20 s). */
export async function startLabEtcd(names: LabNames, onPid: (s: EtcdState) => void): Promise<EtcdState> {
  const dir = names.etcdDir;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const logFile = join(dir, 'etcd.log');
  const pid = await startDetached({
    cmd: 'nsenter',
    // nsenter --net execs etcd in place: the PID we record is etcd's own.
    args: [`--net=${netnsPath(names.fabricNetns)}`, ETCD_BIN, ...etcdArgs(join(dir, 'data'))],
    env: baseEnv({ [LAB_MARKER_VAR]: names.dir }),
    logFile,
    cwd: dir, // the unix listener's socket file is named relative to it
  });
  const state: EtcdState = { pid, dir, endpoint: names.etcdEndpoint, logFile };
  onPid(state);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) {
      throw new LabError(`etcd exited during start:\n${logTail(logFile)}`, `its log: ${logFile}`);
    }
    if (await etcdHealthy(dir)) return state;
    await sleep(25);
  }
  throw new LabError(`etcd did not become healthy within 20 s:\n${logTail(logFile)}`, `its log: ${logFile}`);
}
