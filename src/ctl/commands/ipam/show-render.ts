/** The text of each `calicoctl ipam show` form (ipam.md §12). Pure. */
import type { AllocationInfo } from '../../../ipam/ipam-interface.js';
import type { AllocationBlock, IPAMConfig } from '../../../ipam/model.js';
import { formatIP, nthAddress, parseCIDR } from '../../../net/index.js';
import { renderBoxedTable } from '../../printers/boxed-table.js';
import { formatCount, formatCountWithPercent } from './go-format.js';
import type { PoolUsage, Usage } from './utilization.js';

const USAGE_HEADER = ['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS RESERVED', 'IPS FREE'];

function usageRow(kind: string, u: Usage): string[] {
  return [
    kind,
    u.cidr,
    formatCount(u.capacity),
    formatCountWithPercent(u.inUse, u.capacity),
    formatCountWithPercent(u.reserved, u.capacity),
    formatCountWithPercent(u.free, u.capacity),
  ];
}

/** Pool rows (the orphaned group has none), each followed by its block rows when asked. */
export function renderUtilization(usage: readonly PoolUsage[], showBlocks: boolean): string {
  const rows: string[][] = [];
  for (const p of usage) {
    if (p.pool !== undefined) rows.push(usageRow('IP Pool', p));
    if (showBlocks) for (const b of p.blocks) rows.push(usageRow('Block', b));
  }
  return renderBoxedTable({ header: USAGE_HEADER, rows, alignRight: [2, 3, 4, 5] });
}

export interface BorrowedIP {
  ip: string;
  borrowingNode: string;
  block: string;
  blockOwner: string;
  type: string;
  allocatedTo: string;
}

/**
 * Allocations made for a node other than the block's affine host (or from an unaffine block).
 * Allocations with no `node` attribute cannot be classified and are only counted.
 */
export function findBorrowed(blocks: readonly AllocationBlock[]): {
  rows: BorrowedIP[];
  unclassified: number;
} {
  const rows: BorrowedIP[] = [];
  let unclassified = 0;
  for (const b of blocks) {
    if (b.deleted) continue;
    const cidr = parseCIDR(b.cidr);
    // "host:node-1" -> "node-1"; an affinity without a type prefix is taken whole.
    const parts = b.affinity ? b.affinity.split(':') : [];
    const owner = parts.length === 2 ? parts[1] : (parts[0] ?? '');
    b.allocations.forEach((idx, ord) => {
      if (idx === null || idx === undefined) return;
      const attrs = b.attributes[idx]?.secondary ?? {};
      const node = attrs.node;
      if (node === undefined) {
        unclassified++;
        return;
      }
      if (node === owner) return;
      const ns = attrs.namespace ?? '';
      let type = '';
      let allocatedTo = '';
      if (attrs['vmi-name'] !== undefined) {
        type = 'vmi';
        allocatedTo = `${ns}/${attrs['vmi-name']}`;
      } else if (attrs.pod !== undefined) {
        type = 'pod';
        allocatedTo = `${ns}/${attrs.pod}`;
      } else if (attrs.type !== undefined) {
        type = attrs.type;
      }
      rows.push({
        ip: formatIP(nthAddress(cidr, ord)),
        borrowingNode: node,
        block: b.cidr,
        blockOwner: owner,
        type,
        allocatedTo,
      });
    });
  }
  return { rows, unclassified };
}

export function renderBorrowed(found: { rows: BorrowedIP[]; unclassified: number }): string {
  let out = renderBoxedTable({
    header: ['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'],
    rows: found.rows.map((r) => [r.ip, r.borrowingNode, r.block, r.blockOwner, r.type, r.allocatedTo]),
  });
  if (found.unclassified !== 0) {
    out += `\nNote: found ${found.unclassified} IP allocations without an explicit node association. Unable to determine if they are borrowed.\n`;
  }
  return out;
}

/** Calico's field order; values printed dereferenced (Go would print the persistence pointer). */
export function renderConfiguration(cfg: IPAMConfig): string {
  return renderBoxedTable({
    header: ['PROPERTY', 'VALUE'],
    rows: [
      ['StrictAffinity', String(cfg.strictAffinity)],
      ['AutoAllocateBlocks', String(cfg.autoAllocateBlocks)],
      ['MaxBlocksPerHost', String(cfg.maxBlocksPerHost)],
      ['KubeVirtVMAddressPersistence', cfg.kubeVirtVMAddressPersistence],
      ['IPCooldownSeconds', String(cfg.ipCooldownSeconds)],
    ],
  });
}

function ownerAttrs(title: string, attrs: Record<string, string> | undefined): string {
  const keys = Object.keys(attrs ?? {}).sort();
  if (keys.length === 0) return '';
  return `${title}:\n` + keys.map((k) => `  ${k}: ${attrs![k]}\n`).join('');
}

/** `--ip` for an allocated, not cooling-down address. */
export function renderAssignedIP(ip: string, info: AllocationInfo): string {
  let out = `IP ${ip} is in use\n`;
  out += info.handleId !== undefined ? `Handle ID: ${info.handleId}\n` : 'Handle ID: <none>\n';
  out += ownerAttrs('Active Owner Attributes', info.attrs) || 'No Active Owner attributes defined\n';
  out += ownerAttrs('Alternate Owner Attributes', info.alternateAttrs);
  return out;
}
