/**
 * The FelixConfiguration fields the policy dataplane reads, with Felix's defaults, layered the
 * way Felix layers them: the global `default` resource, then `node.<nodeName>`, then the caller's
 * overrides (environment / config file). Pure.
 */
import { parseDuration, type Resource } from '../../../api/index.js';
import type { FailsafePort, PolicyConfig } from './input.js';

const tcp = (port: number): FailsafePort => ({ protocol: 'tcp', port });
const udp = (port: number): FailsafePort => ({ protocol: 'udp', port });

/** Felix's FailsafeInboundHostPorts default: SSH, DHCP, BGP, etcd, Typha, the API server, … */
export const DEFAULT_FAILSAFE_INBOUND: readonly FailsafePort[] = Object.freeze([
  tcp(22),
  udp(68),
  tcp(179),
  tcp(2379),
  tcp(2380),
  tcp(5473),
  tcp(6443),
  tcp(6666),
  tcp(6667),
]);

/** Felix's FailsafeOutboundHostPorts default: DNS, DHCP, BGP, etcd, Typha, the API server, … */
export const DEFAULT_FAILSAFE_OUTBOUND: readonly FailsafePort[] = Object.freeze([
  udp(53),
  udp(67),
  tcp(179),
  tcp(2379),
  tcp(2380),
  tcp(5473),
  tcp(6443),
  tcp(6666),
  tcp(6667),
]);

export const DEFAULT_POLICY_CONFIG: Readonly<PolicyConfig> = Object.freeze({
  ipv6: true,
  interfacePrefixes: ['cali'],
  defaultEndpointToHostAction: 'Drop',
  failsafeInbound: [...DEFAULT_FAILSAFE_INBOUND],
  failsafeOutbound: [...DEFAULT_FAILSAFE_OUTBOUND],
  logPrefix: 'calico-packet',
  allowVXLANPacketsFromWorkloads: false,
  allowIPIPPacketsFromWorkloads: false,
  vxlanPort: 4789,
});

type Spec = Record<string, unknown>;

function felixLayers(nodeName: string, felixConfigs: Iterable<Resource>): Spec[] {
  let global: Resource | undefined;
  let perNode: Resource | undefined;
  for (const r of felixConfigs) {
    if (r.metadata.name === 'default') global = r;
    else if (r.metadata.name === `node.${nodeName}`) perNode = r;
  }
  return [global?.spec, perNode?.spec].filter((s): s is Spec => !!s);
}

/** FelixConfiguration's `[{protocol, port, net?}]`; an empty protocol means TCP. */
function failsafePorts(v: unknown): FailsafePort[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: FailsafePort[] = [];
  for (const e of v as { protocol?: unknown; port?: unknown; net?: unknown }[]) {
    if (!e || typeof e.port !== 'number') continue;
    const proto = typeof e.protocol === 'string' && e.protocol !== '' ? e.protocol.toLowerCase() : 'tcp';
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') continue;
    const fp: FailsafePort = { protocol: proto, port: e.port };
    if (typeof e.net === 'string' && e.net !== '') fp.net = e.net;
    out.push(fp);
  }
  return out;
}

function layer(cfg: PolicyConfig, spec: Spec): void {
  if (typeof spec.ipv6Support === 'boolean') cfg.ipv6 = spec.ipv6Support;
  if (typeof spec.interfacePrefix === 'string' && spec.interfacePrefix !== '') {
    const prefixes = spec.interfacePrefix
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (prefixes.length) cfg.interfacePrefixes = prefixes;
  }
  const action = spec.defaultEndpointToHostAction;
  if (typeof action === 'string') {
    // Felix accepts any case (its config parser upper-cases).
    const a = action.toLowerCase();
    if (a === 'drop') cfg.defaultEndpointToHostAction = 'Drop';
    else if (a === 'accept') cfg.defaultEndpointToHostAction = 'Accept';
    else if (a === 'return') cfg.defaultEndpointToHostAction = 'Return';
  }
  cfg.failsafeInbound = failsafePorts(spec.failsafeInboundHostPorts) ?? cfg.failsafeInbound;
  cfg.failsafeOutbound = failsafePorts(spec.failsafeOutboundHostPorts) ?? cfg.failsafeOutbound;
  if (typeof spec.logPrefix === 'string' && spec.logPrefix !== '') cfg.logPrefix = spec.logPrefix;
  if (typeof spec.allowVXLANPacketsFromWorkloads === 'boolean')
    cfg.allowVXLANPacketsFromWorkloads = spec.allowVXLANPacketsFromWorkloads;
  if (typeof spec.allowIPIPPacketsFromWorkloads === 'boolean')
    cfg.allowIPIPPacketsFromWorkloads = spec.allowIPIPPacketsFromWorkloads;
  if (typeof spec.vxlanPort === 'number' && spec.vxlanPort > 0) cfg.vxlanPort = spec.vxlanPort;
}

/**
 * The effective policy configuration for `nodeName`: Felix's defaults, the `default`
 * FelixConfiguration, then `node.<nodeName>` (others are ignored), then `overrides`.
 */
export function resolvePolicyConfig(
  nodeName: string,
  felixConfigs: Iterable<Resource>,
  overrides: Partial<PolicyConfig> = {},
): PolicyConfig {
  const cfg: PolicyConfig = {
    ...DEFAULT_POLICY_CONFIG,
    interfacePrefixes: [...DEFAULT_POLICY_CONFIG.interfacePrefixes],
    failsafeInbound: DEFAULT_POLICY_CONFIG.failsafeInbound.map((p) => ({ ...p })),
    failsafeOutbound: DEFAULT_POLICY_CONFIG.failsafeOutbound.map((p) => ({ ...p })),
  };
  for (const spec of felixLayers(nodeName, felixConfigs)) layer(cfg, spec);
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  }
  return cfg;
}

export interface PolicyBackendConfig {
  backend: 'nftables' | 'iptables';
  /** Which iptables binary family the iptables backend drives. */
  iptablesFlavour: 'legacy' | 'nft';
  /** How often the backend re-reads the kernel and repairs drift. */
  refreshMs: number;
}

/**
 * Felix re-reads iptables every 180 s by default; we re-read every 5 s so a rule or set member
 * removed by hand is back within 10 s.
 */
export const DEFAULT_POLICY_REFRESH_MS = 5000;

/**
 * Which policy backend to run: `nftablesMode: Disabled` selects iptables; Enabled, Auto or
 * absent select nftables (we prefer nftables where Felix's Auto would probe the host).
 * `iptablesBackend: Legacy` selects iptables-legacy, anything else iptables-nft.
 */
export function resolvePolicyBackend(
  nodeName: string,
  felixConfigs: Iterable<Resource>,
  overrides: Partial<PolicyBackendConfig> = {},
): PolicyBackendConfig {
  const out: PolicyBackendConfig = {
    backend: 'nftables',
    iptablesFlavour: 'nft',
    refreshMs: DEFAULT_POLICY_REFRESH_MS,
  };
  for (const spec of felixLayers(nodeName, felixConfigs)) {
    // `Auto` (which defaulting writes into every FelixConfiguration, `node.<name>` included) means
    // "Felix decides": it keeps what a lower layer chose explicitly instead of overriding it.
    const mode = typeof spec.nftablesMode === 'string' ? spec.nftablesMode.toLowerCase() : '';
    if (mode === 'disabled') out.backend = 'iptables';
    else if (mode === 'enabled') out.backend = 'nftables';
    const flavour = typeof spec.iptablesBackend === 'string' ? spec.iptablesBackend.toLowerCase() : '';
    if (flavour === 'legacy' || flavour === 'nft') out.iptablesFlavour = flavour;
    if (typeof spec.iptablesRefreshInterval === 'string') {
      const ms = parseDuration(spec.iptablesRefreshInterval);
      if (ms !== undefined && ms > 0) out.refreshMs = ms;
    }
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
