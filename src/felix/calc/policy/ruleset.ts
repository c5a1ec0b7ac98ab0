/**
 * The policy compiler's output: a backend-neutral packet-filtering ruleset for one IP family.
 * Chains of rules, named sets and dispatch maps, shaped like Felix's (Calico's chain names, mark
 * bits and rule order) but with no kernel syntax: the nftables and iptables backends only render
 * it. Everything here is plain data, deterministic for the same input (sorted), so the drivers
 * can diff two rulesets cheaply.
 */

export type Family = 4 | 6;

/** Which Felix table a chain or hook belongs to (nftables: the base chain's priority). */
export type TableName = 'filter' | 'raw' | 'mangle';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/**
 * A named set. Members change without rewriting the rules that reference it.
 * - `net`: CIDRs, canonical (`10.0.0.1/32`, `fd00::/64`) — ipset hash:net, nft `ipv4_addr` interval set.
 * - `ip-port`: named-port members `<ip>,<proto>:<port>` (`10.0.0.1,tcp:8080`) — ipset hash:ip,port,
 *   nft `ipv4_addr . inet_proto . inet_service`.
 */
export interface IpSet {
  /** Kernel name, Calico's: `cali40s:<23 chars>` / `cali60s:…`, named ports `cali40n:…`; ≤ 31 chars. */
  name: string;
  type: 'net' | 'ip-port';
  /** Sorted, de-duplicated. */
  members: string[];
  /** What the set stands for (a selector's canonical text), for humans. */
  comment?: string;
}

export interface PortRange {
  first: number;
  last: number;
}

/** Protocol by name when it has one in both backends, else by number. */
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'sctp' | 'udplite' | number;

export type CtState = 'established' | 'related' | 'invalid' | 'new' | 'untracked' | 'dnat';

/**
 * A rule's match: every present field must hold (AND). Inside one field a list is ORed for the
 * positive forms and "none of" for the `not` forms. Absent or empty lists do not constrain.
 * Ports only appear with protocol tcp, udp or sctp (or udplite).
 */
export interface Match {
  protocol?: Protocol;
  notProtocol?: Protocol;
  /** Source address in one of these CIDRs. */
  srcNets?: string[];
  notSrcNets?: string[];
  dstNets?: string[];
  notDstNets?: string[];
  /** Source address in every one of these `net` sets (AND). */
  srcSets?: string[];
  /** Source address in none of these sets. */
  notSrcSets?: string[];
  dstSets?: string[];
  notDstSets?: string[];
  /**
   * Destination port in one of `dstPorts` OR (dst address, protocol, dst port) in one of the
   * `ip-port` sets `dstPortSets` (numeric and named ports of one Calico rule are alternatives).
   */
  dstPorts?: PortRange[];
  dstPortSets?: string[];
  notDstPorts?: PortRange[];
  notDstPortSets?: string[];
  srcPorts?: PortRange[];
  /** (src address, protocol, src port) in one of these `ip-port` sets. */
  srcPortSets?: string[];
  notSrcPorts?: PortRange[];
  notSrcPortSets?: string[];
  /** ICMP (or ICMPv6, by family) type and optional code. */
  icmp?: { type: number; code?: number };
  notIcmp?: { type: number; code?: number };
  /** Input / output interface: exact name, or a prefix ending in `+` (`cali+`). */
  iif?: string;
  oif?: string;
  notIif?: string;
  notOif?: string;
  /** Conntrack state is one of these. */
  ctState?: CtState[];
  /** Conntrack state is none of these. */
  notCtState?: CtState[];
  /** (packet mark & mask) == value. */
  mark?: { value: number; mask: number };
  /** (packet mark & mask) != value. */
  notMark?: { value: number; mask: number };
  /** Destination address is an address of this host (nft `fib daddr type local`, iptables `-m addrtype --dst-type LOCAL`). */
  dstLocal?: boolean;
}

export type Action =
  | { type: 'accept' }
  | { type: 'drop' }
  | { type: 'return' }
  | { type: 'jump'; chain: string }
  | { type: 'goto'; chain: string }
  /** mark = (mark & ~mask) | value; not terminal. */
  | { type: 'set-mark'; value: number; mask: number }
  /** Logs with the prefix and goes on with the next rule. */
  | { type: 'log'; prefix: string }
  /** raw table only: skip connection tracking; not terminal. */
  | { type: 'notrack' };

export interface Rule {
  match: Match;
  action: Action;
  /** Free text (`Policy default/np1 ingress`, `End of tier default`), rendered as a comment. */
  comment?: string;
}

export interface Chain {
  /** Calico's name (`cali-tw-cali1234`, `cali-pi-_abc…`), ≤ 28 chars so iptables can use it too. */
  name: string;
  table: TableName;
  rules: Rule[];
}

/**
 * A dispatch on the packet's interface: nftables renders a verdict map (`iifname vmap @…`),
 * iptables Calico's tree of `-i <iface> -g <chain>` rules. The map's own chain does
 * `goto entries[iface]` and, for an interface that has no entry, `fallback`.
 */
export interface Dispatch {
  /** The chain that dispatches (`cali-from-wl-dispatch`); it is referenced like any chain. */
  name: string;
  table: TableName;
  /** `in`: by input interface (iifname); `out`: by output interface (oifname). */
  direction: 'in' | 'out';
  /** Sorted by interface; each target is a chain of this ruleset. */
  entries: { iface: string; chain: string }[];
  /** Rules evaluated when no entry matched (usually one drop "Unknown interface"; may be empty). */
  fallback: Rule[];
}

/**
 * Where the ruleset attaches to the kernel. nftables: a base chain for (table, hook) whose body is
 * `rules` (policy accept); iptables: `rules` inserted at the top of the kernel chain (`FORWARD`
 * …) and `append` at its end.
 */
export interface HookRules {
  table: TableName;
  hook: Hook;
  rules: Rule[];
  append: Rule[];
}

export interface Ruleset {
  family: Family;
  hooks: HookRules[];
  /** Sorted by name. */
  chains: Chain[];
  /** Sorted by name. */
  dispatches: Dispatch[];
  /** Sorted by name. */
  sets: IpSet[];
}

/** Both families; v6 is absent when IPv6 is off (the backend then removes its IPv6 state). */
export interface PolicyRulesets {
  v4: Ruleset;
  v6?: Ruleset;
}

/** Felix's mark bits with the default mark mask 0xffff0000 (spec felix-dataplane §2). */
export const MARK_ACCEPT = 0x10000;
export const MARK_PASS = 0x20000;
export const MARK_DROP = 0x40000;
export const MARK_SCRATCH0 = 0x80000;
export const MARK_SCRATCH1 = 0x100000;
