/**
 * Felix's static chains (static.go): the hooks into the kernel chains, cali-INPUT / FORWARD /
 * OUTPUT, workload → host, the failsafe chains, and the raw / mangle chains used by untracked
 * and pre-DNAT host endpoint policy.
 */
import type { Chain, Family, HookRules, Match, Rule } from './ruleset.js';
import { MARK_ACCEPT, MARK_PASS, MARK_SCRATCH0, MARK_SCRATCH1 } from './ruleset.js';
import { CHAIN } from './names.js';
import type { FailsafePort, PolicyConfig } from './input.js';
import { ANY, IF_ACCEPT, SET_ACCEPT } from './rule-compile.js';
import { canonicalCIDR, tryParseCIDR } from '../../../net/index.js';

const ALL_MARKS = MARK_ACCEPT | MARK_PASS | MARK_SCRATCH0 | MARK_SCRATCH1;
const ACCEPT: Rule['action'] = { type: 'accept' };
const jump = (chain: string): Rule['action'] => ({ type: 'jump', chain });
const clear = (mask: number): Rule['action'] => ({ type: 'set-mark', value: 0, mask });

/** `cali+`-style prefix matches, one per workload interface prefix. */
export function wildcards(cfg: PolicyConfig): string[] {
  return cfg.interfacePrefixes.map((p) => `${p}+`);
}

/** ICMPv6 router/neighbour discovery and MLD a workload must reach the host with (v6 only). */
const ICMPV6_TO_HOST = [130, 131, 132, 133, 135, 136];

function failsafeRule(
  fp: FailsafePort,
  family: Family,
  dir: 'in' | 'out',
  reverse: boolean,
): Rule | undefined {
  const m: Match = { protocol: fp.protocol };
  const ports = [{ first: fp.port, last: fp.port }];
  // The reverse rules (raw table) let replies to a failsafe connection through untracked policy.
  if (reverse) m.srcPorts = ports;
  else m.dstPorts = ports;
  if (fp.net) {
    const c = tryParseCIDR(fp.net, { allowBareIP: true });
    if (!c || c.family !== family) return undefined;
    const net = canonicalCIDR(fp.net.includes('/') ? fp.net : `${fp.net}/${c.prefix}`);
    if (dir === 'in') m.srcNets = [net];
    else m.dstNets = [net];
  }
  return { match: m, action: ACCEPT, comment: `Failsafe ${dir === 'in' ? 'inbound' : 'outbound'} port` };
}

/** `cali-failsafe-in` / `-out` for one table; raw also admits the reverse direction. */
export function failsafeChains(
  cfg: PolicyConfig,
  family: Family,
  table: 'filter' | 'raw' | 'mangle',
): Chain[] {
  const ins: Rule[] = [];
  const outs: Rule[] = [];
  for (const fp of cfg.failsafeInbound) {
    const r = failsafeRule(fp, family, 'in', false);
    if (r) ins.push(r);
  }
  for (const fp of cfg.failsafeOutbound) {
    const r = failsafeRule(fp, family, 'out', false);
    if (r) outs.push(r);
  }
  if (table === 'raw') {
    for (const fp of cfg.failsafeOutbound) {
      const r = failsafeRule(fp, family, 'in', true);
      if (r) ins.push(r);
    }
    for (const fp of cfg.failsafeInbound) {
      const r = failsafeRule(fp, family, 'out', true);
      if (r) outs.push(r);
    }
  }
  const chains: Chain[] = [{ name: CHAIN.failsafeIn, table, rules: ins }];
  // Pre-DNAT policy is ingress only.
  if (table !== 'mangle') chains.push({ name: CHAIN.failsafeOut, table, rules: outs });
  return chains;
}

/**
 * The filter table's static chains. `hostEndpoints`: whether the node has any host endpoint.
 * Without one the host endpoint dispatches are empty (no interface is policed, so no failsafe
 * applies either): the mark clearing, the dispatch jumps and the verdict checks after them are
 * left out, as every host packet (VXLAN's outer packets included) would pay for them for nothing.
 */
export function filterChains(cfg: PolicyConfig, family: Family, hostEndpoints = true): Chain[] {
  const wl = wildcards(cfg);
  const input: Rule[] = [
    ...wl.map((w): Rule => ({ match: { iif: w }, action: { type: 'goto', chain: CHAIN.wlToHost } })),
    { match: IF_ACCEPT, action: ACCEPT, comment: 'Accepted by an earlier table' },
  ];
  if (hostEndpoints) {
    input.push(
      { match: ANY, action: clear(ALL_MARKS) },
      { match: ANY, action: jump(CHAIN.fromHostEndpoint) },
      { match: IF_ACCEPT, action: ACCEPT, comment: 'Host endpoint policy accepted packet.' },
    );
  }

  const wlToHost: Rule[] = [];
  if (family === 6) {
    for (const type of ICMPV6_TO_HOST) {
      wlToHost.push({ match: { protocol: 'icmpv6', icmp: { type } }, action: ACCEPT });
    }
  }
  wlToHost.push({ match: ANY, action: jump(CHAIN.fromWlDispatch) });
  const toHost = cfg.defaultEndpointToHostAction;
  wlToHost.push({
    match: ANY,
    action: toHost === 'Accept' ? ACCEPT : toHost === 'Return' ? { type: 'return' } : { type: 'drop' },
    comment: 'Configured DefaultEndpointToHostAction',
  });

  // Fast path for established workload traffic, the bulk of what a host forwards: every workload
  // chain accepts it as its first rule anyway, so accept it here before the mark clearing, the
  // host endpoint check and the dispatch map lookups (each rule and chain hop costs per packet:
  // ~4% of pod-to-pod CPU). Only a cali* interface Felix does not know (a workload being torn
  // down) differs: its established flows are no longer dropped; its new flows still are.
  const established: Match['ctState'] = ['established', 'related'];
  const forward: Rule[] = [
    ...wl.map((w): Rule => ({ match: { ctState: established, iif: w }, action: ACCEPT })),
    ...wl.map((w): Rule => ({ match: { ctState: established, oif: w }, action: ACCEPT })),
    { match: ANY, action: clear(MARK_PASS | MARK_SCRATCH0 | MARK_SCRATCH1) },
  ];
  if (hostEndpoints) {
    forward.push({ match: { mark: { value: 0, mask: MARK_ACCEPT } }, action: jump(CHAIN.fromHepForward) });
  }
  for (const w of wl) {
    forward.push(
      { match: { iif: w }, action: jump(CHAIN.fromWlDispatch) },
      { match: { oif: w }, action: jump(CHAIN.toWlDispatch) },
    );
  }
  if (hostEndpoints) forward.push({ match: ANY, action: jump(CHAIN.toHepForward) });

  const output: Rule[] = [{ match: IF_ACCEPT, action: ACCEPT, comment: 'Accepted by an earlier table' }];
  // Host → local workload is not policed (workload ingress policy applies to forwarded traffic);
  // with no host endpoint nothing else is either, so the early returns would only add rules.
  if (hostEndpoints) {
    output.push(
      ...wl.map((w): Rule => ({ match: { oif: w }, action: { type: 'return' } })),
      { match: ANY, action: clear(ALL_MARKS) },
      { match: ANY, action: jump(CHAIN.toHostEndpoint) },
      { match: IF_ACCEPT, action: ACCEPT, comment: 'Host endpoint policy accepted packet.' },
    );
  }

  return [
    { name: CHAIN.input, table: 'filter', rules: input },
    { name: CHAIN.wlToHost, table: 'filter', rules: wlToHost },
    { name: CHAIN.forward, table: 'filter', rules: forward },
    { name: CHAIN.output, table: 'filter', rules: output },
    ...failsafeChains(cfg, family, 'filter'),
  ];
}

export function filterHooks(): HookRules[] {
  return [
    { table: 'filter', hook: 'input', rules: [{ match: ANY, action: jump(CHAIN.input) }], append: [] },
    {
      table: 'filter',
      hook: 'forward',
      rules: [{ match: ANY, action: jump(CHAIN.forward) }],
      append: [
        { match: IF_ACCEPT, action: ACCEPT, comment: 'Policy explicitly accepted packet.' },
        { match: ANY, action: SET_ACCEPT },
      ],
    },
    { table: 'filter', hook: 'output', rules: [{ match: ANY, action: jump(CHAIN.output) }], append: [] },
  ];
}

/** raw PREROUTING / OUTPUT for untracked (doNotTrack) host endpoint policy. */
export function rawChains(cfg: PolicyConfig, family: Family): { chains: Chain[]; hooks: HookRules[] } {
  const wl = wildcards(cfg);
  const prerouting: Rule[] = [
    { match: ANY, action: clear(ALL_MARKS) },
    // Scratch0 marks "from a workload": workload traffic is never host endpoint traffic.
    ...wl.map((w): Rule => ({
      match: { iif: w },
      action: { type: 'set-mark', value: MARK_SCRATCH0, mask: MARK_SCRATCH0 },
    })),
    { match: { mark: { value: 0, mask: MARK_SCRATCH0 } }, action: jump(CHAIN.fromHostEndpoint) },
    { match: IF_ACCEPT, action: ACCEPT },
  ];
  const output: Rule[] = [
    { match: ANY, action: clear(ALL_MARKS) },
    { match: ANY, action: jump(CHAIN.toHostEndpoint) },
    { match: IF_ACCEPT, action: ACCEPT },
  ];
  return {
    chains: [
      { name: 'cali-PREROUTING', table: 'raw', rules: prerouting },
      { name: 'cali-OUTPUT', table: 'raw', rules: output },
      ...failsafeChains(cfg, family, 'raw'),
    ],
    hooks: [
      {
        table: 'raw',
        hook: 'prerouting',
        rules: [{ match: ANY, action: jump('cali-PREROUTING') }],
        append: [],
      },
      { table: 'raw', hook: 'output', rules: [{ match: ANY, action: jump('cali-OUTPUT') }], append: [] },
    ],
  };
}

/** mangle PREROUTING for pre-DNAT host endpoint policy. */
export function mangleChains(cfg: PolicyConfig, family: Family): { chains: Chain[]; hooks: HookRules[] } {
  const prerouting: Rule[] = [
    { match: { ctState: ['established', 'related'] }, action: ACCEPT },
    { match: IF_ACCEPT, action: ACCEPT },
    { match: ANY, action: jump(CHAIN.fromHostEndpoint) },
    { match: IF_ACCEPT, action: ACCEPT, comment: 'Host endpoint policy accepted packet.' },
  ];
  return {
    chains: [
      { name: 'cali-PREROUTING', table: 'mangle', rules: prerouting },
      ...failsafeChains(cfg, family, 'mangle'),
    ],
    hooks: [
      {
        table: 'mangle',
        hook: 'prerouting',
        rules: [{ match: ANY, action: jump('cali-PREROUTING') }],
        append: [],
      },
    ],
  };
}
