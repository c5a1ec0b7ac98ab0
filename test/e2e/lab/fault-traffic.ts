/**
 * What the lab fault tests watch while they break something: a continuous ping between two pods
 * (every lost reply counted), `ip monitor route` on each host (every route the kernel deleted), the
 * pod routes of each host's table, and the BGP sessions `calicoctl node status` reports.
 */
import assert from 'node:assert/strict';
import { eventually, nsStart, type Bg } from '../policy/fixtures/calico-lab.js';
import { hostRoutes, mustLab } from './lab-cli.js';

export interface PingResult {
  transmitted: number;
  received: number;
  /**
   * Sequence numbers never answered, except the last one sent (still in flight when ping was
   * stopped, which does not wait for it).
   */
  lost: number[];
  /** ICMP errors (Destination Host Unreachable and the like). */
  errors: string[];
}

/** `ping -i 0.1` from inside `netns` to `ip`, running until stopPing (at most 5 minutes). */
export function startPing(netns: string, ip: string): Bg {
  return nsStart(netns, 'ping', ['-n', '-i', '0.1', '-W', '1', '-w', '300', ip]);
}

/** Stops a ping with SIGINT (it then prints its totals) and parses what it saw. */
export async function stopPing(bg: Bg): Promise<PingResult> {
  await bg.stop('SIGINT');
  const out = bg.out();
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, `no ping statistics in: ${out} ${bg.err()}`);
  const transmitted = Number(m[1]);
  const answered = new Set([...out.matchAll(/icmp_seq=(\d+) ttl=/g)].map((x) => Number(x[1])));
  const lost: number[] = [];
  for (let seq = 1; seq < transmitted; seq++) if (!answered.has(seq)) lost.push(seq);
  return {
    transmitted,
    received: Number(m[2]),
    lost,
    errors: out.split('\n').filter((l) => /^From /.test(l)),
  };
}

/**
 * `ip -ts monitor route` in each namespace: deletions() lists every `Deleted` event seen so far,
 * events() everything (with timestamps, for failure messages).
 */
export function watchRoutes(netnses: string[]): {
  deletions(): string[];
  events(): string[];
  stop(): Promise<void>;
} {
  const bgs = netnses.map((ns) => ({ ns, bg: nsStart(ns, 'ip', ['-ts', 'monitor', 'route']) }));
  const events = () =>
    bgs.flatMap(({ ns, bg }) =>
      bg
        .out()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => `${ns}: ${l}`),
    );
  return {
    events,
    deletions: () => events().filter((l) => /^\S+: (\[[^\]]*\] )?Deleted /.test(l)),
    stop: async () => {
      for (const { bg } of bgs) await bg.stop('SIGTERM');
    },
  };
}

/** A host's routes to pod addresses (203.0.113.0/24), one sorted line each, for comparisons. */
export function podRoutes(netns: string): string[] {
  return hostRoutes(netns)
    .filter((r) => r.dst.startsWith('203.0.113.'))
    .map((r) =>
      [r.dst, r.gateway && `via ${r.gateway}`, r.dev && `dev ${r.dev}`, r.protocol && `proto ${r.protocol}`]
        .filter(Boolean)
        .join(' '),
    )
    .sort();
}

/** Peer address → state (Established, Active, ...) from `calicoctl node status` on host `host`. */
export async function bgpPeers(labFlag: string[], host: number): Promise<Map<string, string>> {
  const out = await mustLab(['exec', String(host), ...labFlag, '--', 'calicoctl', 'node', 'status']);
  const peers = new Map<string, string>();
  for (const m of out.matchAll(/^\| (\d+\.\d+\.\d+\.\d+) +\|[^|]+\|[^|]+\|[^|]+\| (\S+)/gm)) {
    peers.set(m[1], m[2]);
  }
  return peers;
}

/**
 * Waits until no host holds a pod's /32 learned over BGP: a new block is advertised as the pod's
 * /32 until confd has rendered the block, and a fault test must start from the settled tables.
 */
export async function settleBlockRoutes(netnses: string[]): Promise<void> {
  await eventually('no /32 BGP routes left', async () => {
    const host32 = netnses
      .flatMap(podRoutes)
      .filter((r) => / proto bird$/.test(r) && !r.split(' ')[0].includes('/'));
    return host32.length === 0 || host32.join('; ');
  });
}

export type { Bg };
