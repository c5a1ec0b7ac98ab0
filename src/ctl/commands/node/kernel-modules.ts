/**
 * The kernel features `node checksystem` asks for (calicoctl.md §5.2) and how one is judged present.
 * Pure: the facts about the running kernel are gathered by kernel-facts.ts.
 */

export interface ModuleCheck {
  /** The name printed in the result line. */
  name: string;
  /** Other module names that provide the same feature. */
  alternatives?: string[];
  /** Kernel config symbols that build the feature in (`=y`) or as a module (`=m`); any one suffices. */
  config: string[];
  /** Missing optional features print SKIP and do not fail the check. */
  optional?: boolean;
}

export const KERNEL_MODULES: readonly ModuleCheck[] = [
  { name: 'ip_set', config: ['CONFIG_IP_SET'] },
  { name: 'ip6_tables', config: ['CONFIG_IP6_NF_IPTABLES'], optional: true },
  { name: 'ip_tables', config: ['CONFIG_IP_NF_IPTABLES'] },
  { name: 'ipt_ipvs', alternatives: ['xt_ipvs'], config: ['CONFIG_NETFILTER_XT_MATCH_IPVS'] },
  { name: 'vfio-pci', alternatives: ['vfio_pci'], config: ['CONFIG_VFIO_PCI'] },
  { name: 'xt_bpf', config: ['CONFIG_NETFILTER_XT_MATCH_BPF'], optional: true },
  // The REJECT target: iptables' ipt_REJECT, or nftables' reject for the nft backend.
  {
    name: 'ipt_REJECT',
    alternatives: ['xt_REJECT'],
    config: ['CONFIG_IP_NF_TARGET_REJECT', 'CONFIG_NFT_REJECT'],
  },
  {
    name: 'xt_rpfilter',
    alternatives: ['ipt_rpfilter'],
    config: ['CONFIG_IP_NF_MATCH_RPFILTER', 'CONFIG_IP6_NF_MATCH_RPFILTER'],
  },
  { name: 'nf_conntrack_netlink', config: ['CONFIG_NF_CT_NETLINK'] },
  { name: 'xt_addrtype', config: ['CONFIG_NETFILTER_XT_MATCH_ADDRTYPE'] },
  { name: 'xt_conntrack', config: ['CONFIG_NETFILTER_XT_MATCH_CONNTRACK'] },
  // xt_mark is the module behind both the mark match and the MARK target.
  { name: 'xt_mark', config: ['CONFIG_NETFILTER_XT_MARK'] },
  { name: 'xt_multiport', config: ['CONFIG_NETFILTER_XT_MATCH_MULTIPORT'] },
  { name: 'xt_set', alternatives: ['ipt_set'], config: ['CONFIG_NETFILTER_XT_SET'] },
  { name: 'xt_u32', config: ['CONFIG_NETFILTER_XT_MATCH_U32'], optional: true },
];

/** What is known about the running kernel's modules. */
export interface KernelFacts {
  /** Entries of /sys/module: loaded modules, and built-in ones that have parameters or a version. */
  sysModules: ReadonlySet<string>;
  /** Text of modules.dep and modules.builtin under /lib/modules/<release> ('' when absent). */
  modulesDep: string;
  modulesBuiltin: string;
  /** Loaded modules (what lsmod lists, read from /proc/modules). */
  loaded: ReadonlySet<string>;
  /** Kernel config symbols set to y or m; undefined when no config was found. */
  config?: ReadonlySet<string>;
}

/** The kernel treats `-` and `_` in module names alike; /sys/module and /proc/modules use `_`. */
export function canonicalModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

function listedIn(text: string, name: string): boolean {
  if (text === '') return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[-_]/g, '[-_]');
  // `kernel/net/netfilter/xt_set.ko.zst:` in modules.dep, `kernel/…/xt_mark.ko` in modules.builtin.
  return new RegExp(`(^|/)${escaped}\\.ko(\\.(gz|xz|zst|bz2))?(:|\\s|$)`, 'm').test(text);
}

/** Present if any name is in /sys/module, modules.dep, modules.builtin or loaded, or a config symbol is y/m. */
export function moduleAvailable(mod: ModuleCheck, facts: KernelFacts): boolean {
  for (const name of [mod.name, ...(mod.alternatives ?? [])]) {
    const canon = canonicalModuleName(name);
    if (facts.sysModules.has(canon) || facts.loaded.has(canon)) return true;
    if (listedIn(facts.modulesDep, name) || listedIn(facts.modulesBuiltin, name)) return true;
  }
  return facts.config !== undefined && mod.config.some((c) => facts.config!.has(c));
}

/** Symbols set to `y` or `m` in a kernel .config text. */
export function parseKernelConfig(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^(CONFIG_[A-Za-z0-9_]+)=([ym])\s*$/gm)) out.add(m[1]);
  return out;
}
