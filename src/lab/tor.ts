/**
 * The ToR router: GoBGP (`gobgpd`) in its own namespace at 198.51.100.1, AS 64513, with one eBGP
 * neighbour per host (AS 64512). It only exchanges routes (no kernel programming), which is all
 * the lab needs to show what each host announces. Queried with the `gobgp` CLI inside its
 * namespace, where its API listens on 127.0.0.1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './lab-error.js';
import { GATEWAY_IP, NODE_AS, TOR_API_PORT, TOR_AS, netnsPath, type LabNames } from './names.js';
import { LAB_MARKER_VAR, logTail, pidAlive, startDetached } from './processes.js';
import { baseEnv, runInNetns } from './run-command.js';
import type { TorState } from './state.js';

/** gobgpd's TOML configuration for the given host addresses. */
export function gobgpConfig(hostAddresses: readonly string[]): string {
  const lines = [
    '# gobgpd configuration written by calico-lab: the ToR router (eBGP to every host)',
    '[global.config]',
    `  as = ${TOR_AS}`,
    `  router-id = "${GATEWAY_IP}"`,
    `  local-address-list = ["${GATEWAY_IP}"]`,
  ];
  for (const a of hostAddresses) {
    lines.push(
      '',
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${a}"`,
      `    peer-as = ${NODE_AS}`,
      // BIRD's side is multihop (Calico's template); a directly connected eBGP peer needs no more.
      '  [neighbors.ebgp-multihop.config]',
      '    enabled = true',
      '    multihop-ttl = 64',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
    );
  }
  return lines.join('\n') + '\n';
}

export function newTorState(names: LabNames): TorState {
  return {
    netns: names.torNetns,
    address: GATEWAY_IP,
    asNumber: TOR_AS,
    apiPort: TOR_API_PORT,
    configFile: join(names.torDir, 'gobgpd.toml'),
    logFile: join(names.torDir, 'gobgpd.log'),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts gobgpd detached and waits until its API answers. */
export async function startTor(
  names: LabNames,
  tor: TorState,
  hostAddresses: readonly string[],
): Promise<number> {
  mkdirSync(names.torDir, { recursive: true });
  writeFileSync(tor.configFile, gobgpConfig(hostAddresses));
  const pid = await startDetached({
    cmd: 'nsenter',
    args: [
      `--net=${netnsPath(tor.netns)}`,
      'gobgpd',
      '-f',
      tor.configFile,
      '-t',
      'toml',
      `--api-hosts=127.0.0.1:${tor.apiPort}`,
      '--pprof-disable',
      '-p',
      '-l',
      'info',
    ],
    env: baseEnv({ [LAB_MARKER_VAR]: names.dir }),
    logFile: tor.logFile,
    cwd: names.torDir,
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) throw new LabError(`gobgpd exited during start:\n${logTail(tor.logFile)}`);
    if ((await gobgp(tor, ['global'])).code === 0) return pid;
    await sleep(100);
  }
  throw new LabError(`gobgpd's API did not answer within 15 s:\n${logTail(tor.logFile)}`);
}

/** Runs the `gobgp` CLI against the ToR. */
export function gobgp(tor: TorState, args: string[]) {
  return runInNetns(tor.netns, 'gobgp', ['-u', '127.0.0.1', '-p', String(tor.apiPort), ...args], {
    env: baseEnv(),
    timeoutMs: 10_000,
  });
}

export interface TorNeighbor {
  address: string;
  state: string;
}

/** Neighbours and their session state (`established`, `active`, …), from `gobgp neighbor -j`. */
export async function torNeighbors(tor: TorState): Promise<TorNeighbor[]> {
  const r = await gobgp(tor, ['neighbor', '-j']);
  if (r.code !== 0) throw new Error(`gobgp neighbor: ${r.stderr.trim()}`);
  const list = JSON.parse(r.stdout || '[]') as {
    conf?: { neighbor_address?: string };
    state?: { session_state?: number | string; neighbor_address?: string };
  }[];
  return list.map((n) => ({
    address: n.conf?.neighbor_address ?? n.state?.neighbor_address ?? '?',
    state: sessionState(n.state?.session_state),
  }));
}

function sessionState(s: number | string | undefined): string {
  // GoBGP's JSON uses the protobuf enum (numbers in 3.x): 6 is ESTABLISHED.
  const names = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
  if (typeof s === 'number') return names[s] ?? String(s);
  return (s ?? 'unknown').toLowerCase();
}

export interface TorRoute {
  prefix: string;
  nextHop: string;
  best: boolean;
  asPath: number[];
}

/** The ToR's IPv4 RIB, one entry per path, from `gobgp global rib -a ipv4 -j`. */
export async function torRib(tor: TorState): Promise<TorRoute[]> {
  const r = await gobgp(tor, ['global', 'rib', '-a', 'ipv4', '-j']);
  if (r.code !== 0) throw new Error(`gobgp global rib: ${r.stderr.trim()}`);
  const text = r.stdout.trim();
  if (!text || text === 'null') return [];
  const rib = JSON.parse(text) as Record<
    string,
    {
      nlri?: { prefix?: string };
      attrs?: { type: number; nexthop?: string; as_paths?: { asns?: number[] }[] }[];
      best?: boolean;
    }[]
  >;
  const out: TorRoute[] = [];
  for (const [prefix, paths] of Object.entries(rib)) {
    for (const p of paths) {
      const attrs = p.attrs ?? [];
      out.push({
        prefix: p.nlri?.prefix ?? prefix,
        nextHop: attrs.find((a) => a.nexthop !== undefined)?.nexthop ?? '?',
        best: p.best === true,
        asPath: attrs.flatMap((a) => (a.as_paths ?? []).flatMap((s) => s.asns ?? [])),
      });
    }
  }
  return out;
}
