/**
 * Every interface with its details and IPv4 addresses from one `ip -j -d addr show`: the calc
 * needs the host's interfaces (VXLAN parent, MTU), the drivers which devices are up and what the
 * tunnel devices look like. Read once per pass and again only after the link driver changed links.
 */
import type { HostInterface } from '../calc/routing/index.js';
import { parseLinks, type KernelLink } from './link-plan.js';
import { mustRun, parseJSONOutput, type Runner } from './runner.js';

export interface LinkTable {
  links: ReadonlyMap<string, KernelLink>;
  /** Interfaces administratively up (routes and neighbours can go on them). */
  upLinks: ReadonlySet<string>;
  hostInterfaces: HostInterface[];
}

export function linkTable(links: readonly KernelLink[]): LinkTable {
  return {
    links: new Map(links.map((l) => [l.name, l])),
    upLinks: new Set(links.filter((l) => l.up).map((l) => l.name)),
    hostInterfaces: links.map((l) => ({
      name: l.name,
      mtu: l.mtu,
      up: l.up && l.operUp,
      addresses: l.addresses.map((a) => a.split('/')[0]),
    })),
  };
}

export async function readLinkTable(runner: Runner): Promise<LinkTable> {
  const out = await mustRun(runner, 'ip', ['-j', '-d', 'addr', 'show']);
  return linkTable(parseLinks(parseJSONOutput('ip addr', out)));
}
