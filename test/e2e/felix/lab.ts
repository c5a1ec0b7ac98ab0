/**
 * Felix's e2e lab: hosts are network namespaces with an `eth0` on a Linux bridge that lives in a
 * fabric namespace (nothing in the root namespace), 198.51.100.1N/24. A fourth namespace on the
 * bridge is the hosts' default gateway and "the internet" (203.0.113.10 on its loopback). Pods are
 * namespaces wired as the calico CNI plugin wires them. Names come from test/helpers/netns.ts
 * (`cts-<pid>-fx-…`): a crashed run's namespaces are removed by the next run, and this run's at exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createNetns, type Netns } from '../../helpers/netns.js';

export const GATEWAY = '198.51.100.1';
export const INTERNET_IP = '203.0.113.10';
export const POD_MTU = 1450;

export interface Host {
  name: string;
  ns: Netns;
  ip: string;
}

export interface Lab {
  fabric: Netns;
  internet: Netns;
  hosts: Host[];
  destroy(): Promise<void>;
}

/** Why this machine cannot run the lab (undefined when it can). */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const [tool, arg] of [
    ['ip', '-V'],
    ['bridge', '-V'],
    ['nft', '-v'],
    ['nsenter', '--version'],
    ['ping', '-V'],
    ['tcpdump', '--version'],
  ]) {
    if (spawnSync(tool, [arg], { stdio: 'ignore' }).error)
      return `${tool} is not installed (scripts/bootstrap)`;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills, by PID, processes a crashed earlier run left in its namespaces: Felix's `ip -n
 * cts-<pid>-fx-… monitor` outlives a SIGKILLed parent while nothing happens in the namespace.
 * (Namespaces themselves are removed by test/helpers/netns.ts.)
 */
export function killStaleLabProcesses(): number[] {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const owner = argv.map((a) => /^(?:--net=\/run\/netns\/)?cts-(\d+)-fx-/.exec(a)).find((m) => m);
    if (!owner || Number(owner[1]) === process.pid || alive(Number(owner[1]))) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return killed;
}

export async function createLab(count: number): Promise<Lab> {
  killStaleLabProcesses();
  const made: Netns[] = [];
  const lab: Lab = {
    fabric: undefined as unknown as Netns,
    internet: undefined as unknown as Netns,
    hosts: [],
    destroy: async () => {
      for (const ns of made.reverse()) await ns.delete();
    },
  };
  try {
    lab.fabric = await createNetns('fx-fab');
    made.push(lab.fabric);
    await lab.fabric.ipBatch(['link add br0 type bridge', 'link set br0 up']);
    const attach = async (ns: Netns, port: string, cidr: string) => {
      await lab.fabric.ipBatch([
        `link add ${port} type veth peer name eth0 netns ${ns.name}`,
        `link set ${port} master br0 up`,
      ]);
      await ns.ipBatch([`addr add ${cidr} dev eth0`, 'link set eth0 up']);
    };
    lab.internet = await createNetns('fx-inet');
    made.push(lab.internet);
    await attach(lab.internet, 'vinet', `${GATEWAY}/24`);
    await lab.internet.ip('addr', 'add', `${INTERNET_IP}/24`, 'dev', 'lo');
    for (let i = 1; i <= count; i++) {
      const ns = await createNetns(`fx-h${i}`);
      made.push(ns);
      const ip = `198.51.100.${10 + i}`;
      await attach(ns, `vh${i}`, `${ip}/24`);
      await ns.ip('route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0');
      lab.hosts.push({ name: `h${i}`, ns, ip });
    }
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/**
 * A pod as the CNI plugin makes it: a veth `hostIf` (MAC ee:ee:ee:ee:ee:ee, proxy ARP, the /32
 * route `dev hostIf scope link`) and in the pod eth0 with ip/32 and a default via 169.254.1.1.
 */
export async function wirePod(host: Netns, label: string, hostIf: string, ip: string): Promise<Netns> {
  const pod = await createNetns(label);
  await host.ipBatch([
    `link add ${hostIf} mtu ${POD_MTU} type veth peer name eth0 netns ${pod.name}`,
    `link set ${hostIf} address ee:ee:ee:ee:ee:ee`,
  ]);
  await host.setSysctl(`net/ipv4/conf/${hostIf}/proxy_arp`, '1');
  await host.setSysctl(`net/ipv4/neigh/${hostIf}/proxy_delay`, '0');
  await host.setSysctl(`net/ipv4/conf/${hostIf}/forwarding`, '1');
  await host.ipBatch([`link set ${hostIf} up`, `route add ${ip}/32 dev ${hostIf} scope link`]);
  await pod.ipBatch([
    `link set eth0 mtu ${POD_MTU}`,
    `addr add ${ip}/32 dev eth0`,
    'link set eth0 up',
    'route add 169.254.1.1 dev eth0 scope link',
    'route add default via 169.254.1.1 dev eth0',
  ]);
  return pod;
}

export async function pingOnce(from: Netns, ip: string): Promise<boolean> {
  const r = await from.run('ping', ['-n', '-c', '1', '-W', '1', '-q', ip], { timeoutMs: 5000 });
  return r.code === 0;
}

/** Background processes (ping, tcpdump) started in namespaces; stopped by PID. */
export class Background {
  private readonly procs = new Set<ChildProcess>();

  start(ns: Netns, cmd: string, args: string[]): { out: () => string; done: Promise<number | null> } {
    // `timeout` bounds the tool even if this process dies without stopping it.
    const child = spawn('nsenter', [`--net=${ns.path}`, 'timeout', '30', cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.procs.add(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
    const done = new Promise<number | null>((resolve) =>
      child.once('close', (code) => {
        this.procs.delete(child);
        resolve(code);
      }),
    );
    return { out: () => out, done };
  }

  async stopAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const c of this.procs) {
      waits.push(new Promise((r) => c.once('close', () => r())));
      if (c.pid) process.kill(c.pid, 'SIGKILL');
    }
    await Promise.all(waits);
  }
}

/** Polls `check` every `stepMs` until true; fails after `ms` with the last error. Returns the time taken. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  ms = 15_000,
  stepMs = 100,
): Promise<number> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return Date.now() - start;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms)
      throw new Error(`${what}: not within ${ms} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
