/**
 * Calico's pod wiring on Linux (spec cni.md §6) with as few helper processes as possible:
 *
 *   1. one `nsenter --net=<pod> sh` that creates the veth pair from inside the pod (the host end
 *      lands directly in our namespace with its final name and MAC), sets the pod's sysctls and
 *      then execs `ip -batch` for the pod's link, addresses and routes;
 *   2. the host end's sysctls, written to /proc/sys from this process (sysctls under /proc/sys/net
 *      belong to the writer's network namespace, which is the host's);
 *   3. one `ip -batch` on the host: link up and the /32 (/128) routes to the pod.
 *
 * "Host" means the network namespace this process runs in.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CniCode, CniError } from '../cni-error.js';
import { CniLogger } from '../logger.js';
import {
  HOST_VETH_LINK_LOCAL,
  HOST_VETH_MAC,
  POD_GATEWAY_V4,
  type Dataplane,
  type PodWiring,
} from './dataplane.js';
import { cleanStderr, failedBatchLine, run, type RunResult } from './run.js';

export interface LinuxDataplaneOptions {
  /** The namespace host-side veths go to (default: this process's own). */
  hostNetns?: string;
  /** Bound for each helper process (Calico bounds netns cleanup by 20 s). */
  timeoutMs?: number;
}

const isV6 = (addr: string): boolean => addr.includes(':');
const bare = (cidr: string): string => cidr.split('/')[0];

/** Runs in the pod's namespace: $@ is the `ip link add …` command line. */
const POD_SCRIPT = `
ip "$@" || exit 201
if [ -n "$V6" ]; then
  echo 0 > "/proc/sys/net/ipv6/conf/$IFNAME/accept_dad" &&
  echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6 &&
  echo 0 > /proc/sys/net/ipv6/conf/default/disable_ipv6 &&
  echo 0 > /proc/sys/net/ipv6/conf/lo/disable_ipv6 &&
  echo "$FWD" > /proc/sys/net/ipv6/conf/all/forwarding || exit 202
fi
if [ -n "$V4" ]; then echo "$FWD" > /proc/sys/net/ipv4/ip_forward || exit 203; fi
exec ip -o -batch -
`;

/** CHECK in the pod's namespace: print the sysctls named in $@, then the link/addr/route JSON. */
const POD_CHECK_SCRIPT = `
for f in "$@"; do printf '%s=%s\\n' "$f" "$(cat "$f" 2>/dev/null || echo missing)"; done
exec ip -j -force -batch -
`;

interface IpLink {
  ifindex: number;
  ifname: string;
  link_index?: number;
  flags?: string[];
  mtu?: number;
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
  table?: string;
  type?: string;
}

function sysctlPath(family: 4 | 6, kind: 'conf' | 'neigh', dev: string, key: string): string {
  return `/proc/sys/net/ipv${family}/${kind}/${dev}/${key}`;
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function dataplaneError(msg: string, details?: string): CniError {
  return new CniError(CniCode.DATAPLANE, msg, details);
}

/** Lines of `ip -j -batch` output that are JSON arrays. */
function jsonLines<T>(out: string): T[][] {
  const res: T[][] = [];
  for (const line of out.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('[')) continue;
    try {
      res.push(JSON.parse(t) as T[]);
    } catch {
      // not ours
    }
  }
  return res;
}

export class LinuxDataplane implements Dataplane {
  private readonly timeoutMs: number;
  private readonly hostNetns: string;

  constructor(opts: LinuxDataplaneOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.hostNetns = opts.hostNetns ?? `/proc/${process.pid}/ns/net`;
  }

  private ip(args: string[], stdin?: string): Promise<RunResult> {
    return run('ip', args, { stdin, timeoutMs: this.timeoutMs });
  }

  async hostVethExists(name: string): Promise<boolean> {
    // Every device has a conf directory in its own namespace's /proc/sys: no helper process needed.
    return existsSync(`/proc/sys/net/ipv4/conf/${name}`) || existsSync(`/proc/sys/net/ipv6/conf/${name}`);
  }

  async removeHostVeth(name: string, log: CniLogger): Promise<void> {
    if (!(await this.hostVethExists(name))) return;
    const r = await this.ip(['link', 'del', 'dev', name]);
    if (r.code !== 0 && (await this.hostVethExists(name))) {
      throw dataplaneError(`failed to delete host interface ${name}: ${cleanStderr(r.stderr)}`);
    }
    log.debug(`deleted host interface ${name}`);
  }

  async removeContainerInterface(netns: string, ifname: string, log: CniLogger): Promise<boolean> {
    if (!netns || !existsSync(netns)) return false;
    const r = await run('nsenter', [`--net=${netns}`, 'ip', 'link', 'del', 'dev', ifname], {
      timeoutMs: this.timeoutMs,
    });
    if (r.timedOut) throw dataplaneError(`timed out deleting device in netns ${netns}`);
    if (r.code === 0) {
      log.debug(`deleted ${ifname} in ${netns}`);
      return true;
    }
    // Already gone, or the namespace went away under us: nothing left to clean.
    if (/Cannot find device|does not exist|No such file|Invalid argument|reassociate/i.test(r.stderr)) {
      return false;
    }
    throw dataplaneError(`failed to delete ${ifname} in netns ${netns}: ${cleanStderr(r.stderr)}`);
  }

  async setup(w: PodWiring, log: CniLogger): Promise<{ containerMac: string }> {
    const v4 = w.addresses.some((a) => !isV6(a));
    const v6 = w.addresses.some(isV6);
    if (await this.hostVethExists(w.hostVeth)) {
      // A repeated ADD for the same pod: start from scratch, as Calico does.
      log.info(`host interface ${w.hostVeth} exists already: deleting it first`);
      await this.removeHostVeth(w.hostVeth, log);
    }
    const containerMac = await this.setupPodSide(w, v4, v6);
    try {
      this.setHostSysctls(w.hostVeth, v4, v6, log);
      await this.setupHostSide(w, v6, log);
    } catch (e) {
      await this.rollback(w.hostVeth, log);
      throw e;
    }
    log.debug(`wired ${w.ifname} (${containerMac}) in ${w.netns} to ${w.hostVeth}`);
    return { containerMac };
  }

  private async rollback(hostVeth: string, log: CniLogger): Promise<void> {
    try {
      await this.removeHostVeth(hostVeth, log);
    } catch (e) {
      log.error(`rollback: ${(e as Error).message}`);
    }
  }

  private linkOpts(w: PodWiring): string[] {
    const o: string[] = [];
    if (w.mtu > 0) o.push('mtu', String(w.mtu));
    if (w.numQueues > 1) o.push('numtxqueues', String(w.numQueues), 'numrxqueues', String(w.numQueues));
    return o;
  }

  private async setupPodSide(w: PodWiring, v4: boolean, v6: boolean): Promise<string> {
    if (!existsSync(w.netns)) {
      throw new CniError(
        CniCode.INVALID_ENV,
        `failed to open netns "${w.netns}": no such file or directory`,
        'CNI_NETNS must name the pod sandbox network namespace, which must exist during ADD',
      );
    }
    const opts = this.linkOpts(w);
    const linkAdd = [
      'link', 'add', w.ifname, ...opts, 'type', 'veth',
      'peer', 'name', w.hostVeth, 'address', HOST_VETH_MAC, ...opts, 'netns', this.hostNetns,
    ]; // prettier-ignore
    const batch: string[] = [`link set dev ${w.ifname} up`];
    for (const a of w.addresses) batch.push(`addr add ${a} dev ${w.ifname}`);
    if (v4) batch.push(`route add ${POD_GATEWAY_V4}/32 dev ${w.ifname} scope link`);
    for (const dst of w.routes) {
      if (isV6(dst)) {
        if (v6) batch.push(`route add ${dst} via ${HOST_VETH_LINK_LOCAL} dev ${w.ifname}`);
      } else if (v4) {
        batch.push(`route add ${dst} via ${POD_GATEWAY_V4} dev ${w.ifname}`);
      }
    }
    batch.push(`link show dev ${w.ifname}`);
    const r = await run('nsenter', [`--net=${w.netns}`, 'sh', '-c', POD_SCRIPT, 'sh', ...linkAdd], {
      stdin: batch.join('\n') + '\n',
      env: { IFNAME: w.ifname, V4: v4 ? '1' : '', V6: v6 ? '1' : '', FWD: w.allowIpForwarding ? '1' : '0' },
      timeoutMs: this.timeoutMs,
    });
    if (r.code === 0) {
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(r.stdout)?.[1];
      if (mac) return mac;
    }
    // Anything after `ip link add` may have left the pair behind: remove it before reporting.
    if (r.code !== 201) await this.removeHostVeth(w.hostVeth, new CniLogger('error')).catch(() => undefined);
    const why = cleanStderr(r.stderr) || (r.timedOut ? 'timed out' : `exit status ${r.code}`);
    if (r.code === 201) {
      const exists = /File exists/.test(r.stderr);
      throw dataplaneError(
        `failed to create the veth pair (${w.ifname} in ${w.netns}, ${w.hostVeth} on the host): ${why}`,
        exists
          ? `an interface named ${w.ifname} already exists in the pod's namespace, or ${w.hostVeth} on the host; delete the stale one (CNI DEL) and retry`
          : undefined,
      );
    }
    if (r.code === 202 || r.code === 203) {
      throw dataplaneError(
        `failed to set the pod's ${r.code === 202 ? 'IPv6' : 'IPv4'} sysctls in ${w.netns}: ${why}`,
      );
    }
    const line = failedBatchLine(r.stderr);
    const what = line ? ` (${batch[line - 1]})` : '';
    throw dataplaneError(`failed to configure ${w.ifname} in ${w.netns}${what}: ${why}`);
  }

  private setHostSysctls(dev: string, v4: boolean, v6: boolean, log: CniLogger): void {
    const must = (path: string, value: string): void => {
      try {
        writeFileSync(path, value);
      } catch (e) {
        throw dataplaneError(`failed to set ${path}=${value}: ${(e as Error).message}`);
      }
    };
    const should = (path: string, value: string): void => {
      try {
        writeFileSync(path, value);
      } catch (e) {
        log.warn(`failed to set ${path}=${value}: ${(e as Error).message}`);
      }
    };
    if (v4) {
      must(sysctlPath(4, 'conf', dev, 'route_localnet'), '1');
      should(sysctlPath(4, 'neigh', dev, 'proxy_delay'), '0');
      must(sysctlPath(4, 'conf', dev, 'proxy_arp'), '1');
      must(sysctlPath(4, 'conf', dev, 'forwarding'), '1');
    }
    if (v6) {
      must(sysctlPath(6, 'conf', dev, 'accept_dad'), '0');
      must(sysctlPath(6, 'conf', dev, 'disable_ipv6'), '0');
      // EUI-64 from ee:ee:ee:ee:ee:ee, whatever the namespace's default mode: pods route via it.
      if (readSysctl(sysctlPath(6, 'conf', dev, 'addr_gen_mode')) !== '0') {
        must(sysctlPath(6, 'conf', dev, 'addr_gen_mode'), '0');
      }
      must(sysctlPath(6, 'conf', dev, 'proxy_ndp'), '1');
      must(sysctlPath(6, 'conf', dev, 'forwarding'), '1');
    }
    should(sysctlPath(6, 'conf', dev, 'accept_ra'), '0');
  }

  private async setupHostSide(w: PodWiring, v6: boolean, log: CniLogger): Promise<void> {
    const lines: string[] = [`link set dev ${w.hostVeth} up`];
    if (w.hostRoutes) {
      for (const a of w.addresses) lines.push(`route add ${a} dev ${w.hostVeth} scope link`);
    }
    let out = '';
    let start = 0;
    while (start < lines.length) {
      const todo = lines.slice(start);
      const r = await this.ip(['-o', '-batch', '-'], todo.join('\n') + '\n');
      out += r.stdout;
      if (r.code === 0) break;
      const n = failedBatchLine(r.stderr);
      const failed = n ? todo[n - 1] : undefined;
      const dst = failed && /^route add (\S+) /.exec(failed)?.[1];
      if (!dst || !/File exists/.test(r.stderr)) {
        throw dataplaneError(
          `failed to configure host interface ${w.hostVeth}${failed ? ` (${failed})` : ''}: ${cleanStderr(r.stderr) || `exit status ${r.code}`}`,
        );
      }
      await this.checkExistingRoute(dst, w.hostVeth, log);
      start += n as number; // the route is ours already: carry on after it
    }
    if (v6) await this.waitLinkLocal(w.hostVeth, out);
  }

  /** An identical route on our veth is fine (Felix may have added it); one via another interface is not. */
  private async checkExistingRoute(dst: string, dev: string, log: CniLogger): Promise<void> {
    const r = await this.ip([isV6(dst) ? '-6' : '-4', '-j', 'route', 'show', 'exact', dst]);
    const routes = jsonLines<IpRoute>(r.stdout).flat();
    const other = routes.find((rt) => rt.dev !== dev || (rt.scope && rt.scope !== 'link') || rt.gateway);
    if (!other) {
      log.info(`route to ${dst} via ${dev} exists already`);
      return;
    }
    const desc = (d: string | undefined, scope: string | undefined) =>
      `Dst: ${dst}, Scope: ${scope ?? 'universe'}${d ? `, Iface: ${d}` : ''}`;
    throw new CniError(
      CniCode.ROUTE_CONFLICT,
      `route (Dst: ${dst}, Scope: link) already exists for an interface other than '${dev}': route (${desc(other.dev, other.scope)})`,
      `another interface routes this pod's address: inspect it with "ip route show ${dst}", remove the stale route or interface, and check for a duplicate IP allocation with "calicoctl ipam check"`,
    );
  }

  /** The pod's IPv6 default route goes via this address: make sure the host end has it. */
  private async waitLinkLocal(dev: string, firstOutput: string): Promise<void> {
    let out = firstOutput;
    for (let i = 0; i < 10; i++) {
      if (out.includes(`inet6 ${HOST_VETH_LINK_LOCAL}/`)) return;
      await new Promise((r) => setTimeout(r, i === 0 ? 0 : 50));
      out = (await this.ip(['-o', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link'])).stdout;
    }
    throw dataplaneError(
      'failed to get IPv6 addresses for host side of the pod interface',
      `expected ${HOST_VETH_LINK_LOCAL} on ${dev}; check that IPv6 is enabled in the host namespace`,
    );
  }

  async check(w: PodWiring, _log: CniLogger): Promise<string[]> {
    const problems: string[] = [];
    const v4 = w.addresses.some((a) => !isV6(a));
    const v6 = w.addresses.some(isV6);

    // ---- pod side
    const podSysctls: [string, string][] = [];
    if (v4) podSysctls.push(['/proc/sys/net/ipv4/ip_forward', w.allowIpForwarding ? '1' : '0']);
    if (v6) {
      podSysctls.push(['/proc/sys/net/ipv6/conf/all/forwarding', w.allowIpForwarding ? '1' : '0']);
      podSysctls.push([`/proc/sys/net/ipv6/conf/${w.ifname}/accept_dad`, '0']);
    }
    let pod: IpLink | undefined;
    if (!existsSync(w.netns)) {
      problems.push(`network namespace ${w.netns} does not exist`);
    } else {
      const r = await run(
        'nsenter',
        [`--net=${w.netns}`, 'sh', '-c', POD_CHECK_SCRIPT, 'sh', ...podSysctls.map(([p]) => p)],
        { stdin: `addr show dev ${w.ifname}\nroute show table all\n`, timeoutMs: this.timeoutMs },
      );
      const values = new Map<string, string>();
      for (const line of r.stdout.split('\n')) {
        const m = /^(\/proc\/sys\/\S+)=(.*)$/.exec(line);
        if (m) values.set(m[1], m[2].trim());
      }
      for (const [p, want] of podSysctls) {
        if (values.get(p) !== want)
          problems.push(`pod sysctl ${p} is ${values.get(p) ?? '?'}, expected ${want}`);
      }
      const json = jsonLines<IpLink & IpRoute>(r.stdout);
      if (json.length < 2) {
        problems.push(`interface ${w.ifname} does not exist in ${w.netns}`);
      } else {
        pod = json[0][0] as IpLink;
        const routes = json[1] as IpRoute[];
        problems.push(...checkPodLink(w, pod, routes, v4, v6));
      }
    }

    // ---- host side
    const r = await this.ip(
      ['-j', '-force', '-batch', '-'],
      `link show dev ${w.hostVeth}\nroute show table all\n`,
    );
    const json = jsonLines<IpLink & IpRoute>(r.stdout);
    if (json.length < 2) {
      problems.push(`host interface ${w.hostVeth} does not exist`);
      return problems;
    }
    const host = json[0][0] as IpLink;
    const hostRoutes = (json[1] as IpRoute[]).filter((rt) => !rt.table || rt.table === 'main');
    if (host.address !== HOST_VETH_MAC)
      problems.push(`host interface ${w.hostVeth} has MAC ${host.address}, expected ${HOST_VETH_MAC}`);
    if (!host.flags?.includes('UP')) problems.push(`host interface ${w.hostVeth} is down`);
    if (pod && (host.link_index !== pod.ifindex || pod.link_index !== host.ifindex)) {
      problems.push(`host interface ${w.hostVeth} is not the peer of ${w.ifname} in ${w.netns}`);
    }
    if (w.mtu > 0 && host.mtu !== w.mtu)
      problems.push(`host interface ${w.hostVeth} has MTU ${host.mtu}, expected ${w.mtu}`);
    const want: [string, string][] = [];
    if (v4) {
      want.push([sysctlPath(4, 'conf', w.hostVeth, 'proxy_arp'), '1']);
      want.push([sysctlPath(4, 'conf', w.hostVeth, 'forwarding'), '1']);
      want.push([sysctlPath(4, 'conf', w.hostVeth, 'route_localnet'), '1']);
      want.push([sysctlPath(4, 'neigh', w.hostVeth, 'proxy_delay'), '0']);
    }
    if (v6) {
      want.push([sysctlPath(6, 'conf', w.hostVeth, 'proxy_ndp'), '1']);
      want.push([sysctlPath(6, 'conf', w.hostVeth, 'forwarding'), '1']);
      want.push([sysctlPath(6, 'conf', w.hostVeth, 'accept_dad'), '0']);
      want.push([sysctlPath(6, 'conf', w.hostVeth, 'disable_ipv6'), '0']);
    }
    for (const [p, v] of want) {
      const got = readSysctl(p);
      if (got !== v) problems.push(`host sysctl ${p} is ${got ?? 'missing'}, expected ${v}`);
    }
    if (w.hostRoutes) {
      for (const a of w.addresses) {
        const ip = bare(a);
        const ok = hostRoutes.some(
          (rt) =>
            normRouteDst(rt.dst, ip) === normRouteDst(a, ip) &&
            rt.dev === w.hostVeth &&
            !rt.gateway &&
            (isV6(ip) || rt.scope === 'link'),
        );
        if (!ok) problems.push(`host route ${a} dev ${w.hostVeth} scope link is missing`);
      }
    }
    return problems;
  }
}

function checkPodLink(w: PodWiring, link: IpLink, routes: IpRoute[], v4: boolean, v6: boolean): string[] {
  const p: string[] = [];
  if (!link.flags?.includes('UP')) p.push(`${w.ifname} is down in ${w.netns}`);
  if (w.containerMac && link.address !== w.containerMac.toLowerCase()) {
    p.push(`${w.ifname} has MAC ${link.address}, expected ${w.containerMac}`);
  }
  if (w.mtu > 0 && link.mtu !== w.mtu) p.push(`${w.ifname} has MTU ${link.mtu}, expected ${w.mtu}`);
  const have = new Set((link.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  for (const a of w.addresses) if (!have.has(a)) p.push(`${w.ifname} lacks address ${a}`);
  const main = routes.filter((rt) => (!rt.table || rt.table === 'main') && rt.dev === w.ifname);
  const hasRoute = (dst: string, gw: string | undefined, scope?: string): boolean =>
    main.some(
      (rt) =>
        normRouteDst(rt.dst, rt.gateway ?? dst) === normRouteDst(dst, dst) &&
        (gw === undefined ? !rt.gateway : rt.gateway === gw) &&
        (scope === undefined || rt.scope === scope),
    );
  if (v4 && !hasRoute(POD_GATEWAY_V4, undefined, 'link')) {
    p.push(`route ${POD_GATEWAY_V4} dev ${w.ifname} scope link is missing in ${w.netns}`);
  }
  for (const dst of w.routes) {
    if (isV6(dst) ? !v6 : !v4) continue;
    const gw = isV6(dst) ? HOST_VETH_LINK_LOCAL : POD_GATEWAY_V4;
    if (!hasRoute(dst, gw)) p.push(`route ${dst} via ${gw} dev ${w.ifname} is missing in ${w.netns}`);
  }
  return p;
}

/** `ip -j` writes `default` and bare host addresses: normalise to CIDRs (family taken from `hint`). */
function normRouteDst(dst: string, hint: string): string {
  if (dst === 'default') return isV6(hint) ? '::/0' : '0.0.0.0/0';
  if (dst.includes('/')) return dst;
  return `${dst}/${isV6(dst) ? 128 : 32}`;
}
