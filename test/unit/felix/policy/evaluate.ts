/**
 * A small reference evaluator of the ruleset IR: walks the hooks a synthetic packet traverses
 * (raw → mangle → filter, as the kernel does) through chains, dispatches and sets, and returns
 * the verdict. Used to prove the compiler's verdict semantics without a kernel.
 */
import { cidrContainsIP, parseCIDR, parseIP } from '../../../../src/net/index.js';
import type {
  Chain,
  CtState,
  Dispatch,
  Family,
  Hook,
  IpSet,
  Match,
  PortRange,
  Protocol,
  Rule,
  Ruleset,
  TableName,
} from '../../../../src/felix/calc/policy/index.js';

export interface Packet {
  family?: Family;
  /** Input interface (absent for locally originated packets). */
  iif?: string;
  /** Output interface (absent for packets to the host itself). */
  oif?: string;
  src: string;
  dst: string;
  proto: Protocol;
  sport?: number;
  dport?: number;
  icmp?: { type: number; code?: number };
  ct?: CtState;
  /** The destination is an address of this host. */
  dstLocal?: boolean;
  mark?: number;
}

/** input: to this host; forward: routed through; output: sent by this host. */
export type Path = 'input' | 'forward' | 'output';

export interface Verdict {
  verdict: 'accept' | 'drop';
  notrack: boolean;
  logs: string[];
  /** Chains entered, in order, for failure messages. */
  trace: string[];
}

const PROTO_NUMBERS: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};
const protoNum = (p: Protocol): number => (typeof p === 'number' ? p : PROTO_NUMBERS[p]);

const HOOKS: Record<Path, [TableName, Hook][]> = {
  input: [
    ['raw', 'prerouting'],
    ['mangle', 'prerouting'],
    ['filter', 'input'],
  ],
  forward: [
    ['raw', 'prerouting'],
    ['mangle', 'prerouting'],
    ['filter', 'forward'],
  ],
  output: [
    ['raw', 'output'],
    ['filter', 'output'],
  ],
};

type Outcome = { kind: 'accept' } | { kind: 'drop' } | { kind: 'return' };

class Walker {
  mark: number;
  notrack = false;
  logs: string[] = [];
  trace: string[] = [];
  private depth = 0;
  private readonly chains = new Map<string, Chain>();
  private readonly dispatches = new Map<string, Dispatch>();
  private readonly sets = new Map<string, IpSet>();

  constructor(
    private readonly rs: Ruleset,
    private readonly p: Packet,
  ) {
    this.mark = p.mark ?? 0;
    for (const c of rs.chains) this.chains.set(`${c.table}/${c.name}`, c);
    for (const d of rs.dispatches) this.dispatches.set(`${d.table}/${d.name}`, d);
    for (const s of rs.sets) this.sets.set(s.name, s);
  }

  private inNets(ip: string, nets: readonly string[]): boolean {
    const a = parseIP(ip);
    return nets.some((n) => {
      const c = parseCIDR(n);
      return c.family === a.family && cidrContainsIP(c, a);
    });
  }

  private set(name: string): IpSet {
    const s = this.sets.get(name);
    if (!s) throw new Error(`rule references set ${name}, which the ruleset does not define`);
    return s;
  }

  private inSet(ip: string, name: string): boolean {
    const s = this.set(name);
    if (s.type !== 'net') throw new Error(`set ${name} used as a net set`);
    return this.inNets(ip, s.members);
  }

  private inPortSet(ip: string, port: number | undefined, name: string): boolean {
    const s = this.set(name);
    if (s.type !== 'ip-port') throw new Error(`set ${name} used as an ip-port set`);
    if (port === undefined) return false;
    const proto = this.p.proto;
    const names = Object.entries(PROTO_NUMBERS)
      .filter(([, n]) => n === protoNum(proto))
      .map(([k]) => k);
    const addr = parseIP(ip);
    return s.members.some((m) => {
      const [mip, rest] = m.split(',');
      const [mproto, mport] = rest.split(':');
      const a = parseIP(mip);
      return (
        a.family === addr.family && a.value === addr.value && names.includes(mproto) && Number(mport) === port
      );
    });
  }

  private iface(name: string | undefined, pattern: string): boolean {
    if (name === undefined) return false;
    return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
  }

  private portsMatch(port: number | undefined, ranges: readonly PortRange[] | undefined): boolean {
    if (port === undefined || !ranges) return false;
    return ranges.some((r) => port >= r.first && port <= r.last);
  }

  matches(m: Match): boolean {
    const p = this.p;
    if (m.protocol !== undefined && protoNum(m.protocol) !== protoNum(p.proto)) return false;
    if (m.notProtocol !== undefined && protoNum(m.notProtocol) === protoNum(p.proto)) return false;
    if (m.srcNets?.length && !this.inNets(p.src, m.srcNets)) return false;
    if (m.notSrcNets?.length && this.inNets(p.src, m.notSrcNets)) return false;
    if (m.dstNets?.length && !this.inNets(p.dst, m.dstNets)) return false;
    if (m.notDstNets?.length && this.inNets(p.dst, m.notDstNets)) return false;
    for (const s of m.srcSets ?? []) if (!this.inSet(p.src, s)) return false;
    for (const s of m.notSrcSets ?? []) if (this.inSet(p.src, s)) return false;
    for (const s of m.dstSets ?? []) if (!this.inSet(p.dst, s)) return false;
    for (const s of m.notDstSets ?? []) if (this.inSet(p.dst, s)) return false;
    if (m.dstPorts?.length || m.dstPortSets?.length) {
      const ok =
        this.portsMatch(p.dport, m.dstPorts) ||
        (m.dstPortSets ?? []).some((s) => this.inPortSet(p.dst, p.dport, s));
      if (!ok) return false;
    }
    if (m.notDstPorts?.length && (p.dport === undefined || this.portsMatch(p.dport, m.notDstPorts)))
      return false;
    for (const s of m.notDstPortSets ?? []) if (this.inPortSet(p.dst, p.dport, s)) return false;
    if (m.srcPorts?.length || m.srcPortSets?.length) {
      const ok =
        this.portsMatch(p.sport, m.srcPorts) ||
        (m.srcPortSets ?? []).some((s) => this.inPortSet(p.src, p.sport, s));
      if (!ok) return false;
    }
    if (m.notSrcPorts?.length && (p.sport === undefined || this.portsMatch(p.sport, m.notSrcPorts)))
      return false;
    for (const s of m.notSrcPortSets ?? []) if (this.inPortSet(p.src, p.sport, s)) return false;
    if (m.icmp) {
      if (!p.icmp || p.icmp.type !== m.icmp.type) return false;
      if (m.icmp.code !== undefined && p.icmp.code !== m.icmp.code) return false;
    }
    if (m.notIcmp && p.icmp && p.icmp.type === m.notIcmp.type) {
      if (m.notIcmp.code === undefined || p.icmp.code === m.notIcmp.code) return false;
    }
    if (m.iif !== undefined && !this.iface(p.iif, m.iif)) return false;
    if (m.oif !== undefined && !this.iface(p.oif, m.oif)) return false;
    if (m.notIif !== undefined && this.iface(p.iif, m.notIif)) return false;
    if (m.notOif !== undefined && this.iface(p.oif, m.notOif)) return false;
    const ct = p.ct ?? 'new';
    if (m.ctState && !m.ctState.includes(ct)) return false;
    if (m.notCtState && m.notCtState.includes(ct)) return false;
    if (m.mark && (this.mark & m.mark.mask) !== m.mark.value) return false;
    if (m.notMark && (this.mark & m.notMark.mask) === m.notMark.value) return false;
    if (m.dstLocal !== undefined && m.dstLocal !== !!p.dstLocal) return false;
    return true;
  }

  /** Runs rules; 'return' also covers falling off the end. */
  runRules(table: TableName, rules: readonly Rule[]): Outcome {
    for (const r of rules) {
      if (!this.matches(r.match)) continue;
      const a = r.action;
      switch (a.type) {
        case 'accept':
          return { kind: 'accept' };
        case 'drop':
          return { kind: 'drop' };
        case 'return':
          return { kind: 'return' };
        case 'set-mark':
          this.mark = ((this.mark & ~a.mask) | a.value) >>> 0;
          break;
        case 'log':
          this.logs.push(a.prefix);
          break;
        case 'notrack':
          this.notrack = true;
          break;
        case 'jump': {
          const o = this.call(table, a.chain);
          if (o.kind !== 'return') return o;
          break;
        }
        case 'goto':
          return this.call(table, a.chain);
      }
    }
    return { kind: 'return' };
  }

  call(table: TableName, name: string): Outcome {
    if (++this.depth > 64) throw new Error(`chain loop at ${table}/${name}`);
    try {
      this.trace.push(`${table}/${name}`);
      const c = this.chains.get(`${table}/${name}`);
      if (c) return this.runRules(table, c.rules);
      const d = this.dispatches.get(`${table}/${name}`);
      if (!d) throw new Error(`jump to missing chain ${table}/${name}`);
      const iface = d.direction === 'in' ? this.p.iif : this.p.oif;
      const e = d.entries.find((x) => x.iface === iface);
      if (e) return this.call(table, e.chain);
      return this.runRules(table, d.fallback);
    } finally {
      this.depth--;
    }
  }
}

/** The verdict the ruleset gives `p` on `path`; hooks fall through to accept (policy accept). */
export function evaluate(rs: Ruleset, path: Path, p: Packet): Verdict {
  const w = new Walker(rs, { ...p, family: p.family ?? rs.family });
  for (const [table, hook] of HOOKS[path]) {
    for (const h of rs.hooks.filter((x) => x.table === table && x.hook === hook)) {
      let o = w.runRules(table, h.rules);
      if (o.kind === 'return') o = w.runRules(table, h.append);
      if (o.kind === 'drop') return { verdict: 'drop', notrack: w.notrack, logs: w.logs, trace: w.trace };
      // accept or fall-through: this table is done; the next table sees the packet.
    }
  }
  return { verdict: 'accept', notrack: w.notrack, logs: w.logs, trace: w.trace };
}
