/**
 * `calicoctl ipam release --ip IP` and `calicoctl ipam release --from-report FILE... [--force]`
 * (ipam.md §11).
 *
 * Releasing from a report never frees anything valid: a report from another cluster is refused
 * outright; another calicoctl version or an unlocked datastore is refused unless --force. Then
 * every reported leak is checked again just before it is released: an address a workload or node
 * now uses, or whose allocation has another handle or sequence number than the report saw (it was
 * released and re-allocated meanwhile), is left alone. The release itself carries the reported
 * handle and sequence number, so IPAM rejects it if the allocation changes after the re-check.
 * Leaked handles are deleted only at the revision the report saw and only if no block uses them.
 */
import { readFile } from 'node:fs/promises';
import type { ClusterInformationSpec } from '../../../api/index.js';
import type { Client } from '../../../client/index.js';
import { isCalicoError } from '../../../errors/index.js';
import type { IPAMClient } from '../../../ipam/ipam-client.js';
import type { ReleaseOptions } from '../../../ipam/ipam-interface.js';
import { handleKey } from '../../../ipam/model.js';
import { formatIP, nthAddress, parseCIDR } from '../../../net/index.js';
import { VERSION } from '../../../version.js';
import type { GlobalOptions } from '../../context.js';
import { CommandError, type CtlIO } from '../../io.js';
import { mergeReports, parseReport, type LeakedAllocation, type LeakedHandle } from './check-report.js';
import { nodeTunnelIPs, workloadIPs } from './in-use.js';
import { ipArgument } from './ip-arg.js';
import { listBlocks, listResources } from './ipam-reads.js';
import { withIPAM } from './session.js';

export interface ReleaseCommandOptions extends GlobalOptions {
  ip?: string;
  fromReport?: string[];
  force?: boolean;
}

export async function runIpamRelease(io: CtlIO, opts: ReleaseCommandOptions): Promise<void> {
  const reports = opts.fromReport ?? [];
  if (reports.length === 0 && opts.ip === undefined) {
    throw new CommandError('one of --ip or --from-report must be given');
  }
  const ip = reports.length === 0 && opts.ip !== undefined ? ipArgument(opts.ip) : undefined;
  await withIPAM(io, opts, async ({ client, ipam }) => {
    if (reports.length > 0) {
      await releaseFromReports(io, client, ipam, reports, !!opts.force);
      io.stdout('You may now unlock the data store.\n');
      return;
    }
    let unallocated: string[];
    try {
      ({ unallocated } = await ipam.releaseIPs([{ address: ip! }]));
    } catch (e) {
      throw new CommandError(`error: ${(e as Error).message}`);
    }
    if (unallocated.length !== 0) throw new CommandError(`IP address ${ip} is not assigned`);
    io.stdout(`Successfully released IP address ${ip}\n`);
  });
}

async function releaseFromReports(
  io: CtlIO,
  client: Client,
  ipam: IPAMClient,
  files: string[],
  force: boolean,
): Promise<void> {
  const ci = await client.get('ClusterInformation', 'default');
  const spec = (ci.spec ?? {}) as ClusterInformationSpec;
  const reports = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    const r = parseReport(text, file);
    // Not overridable: another cluster's addresses say nothing about this one.
    if (r.clusterGUID !== (spec.clusterGUID ?? '')) {
      throw new CommandError(
        `cluster does not match the provided report (${file}): mismatched cluster GUID. Refusing to release`,
      );
    }
    if (r.version !== VERSION) {
      if (!force) {
        throw new CommandError(
          `the provided report (${file}) was produced using a different version (${r.version}) of calicoctl. Refusing to release`,
        );
      }
      io.stdout(
        'WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option\n',
      );
    }
    reports.push(r);
  }
  if (spec.datastoreReady !== false) {
    if (!force)
      throw new CommandError('data store is not locked. Either lock the data store, or re-run with --force');
    io.stdout('WARNING: Data store is not locked. Ignoring due to --force option\n');
  }

  const { ips, handles } = mergeReports(reports);
  if (ips.length > 0) await releaseLeakedIPs(io, client, ipam, ips);
  else io.stdout("Report didn't contain any leaked IPs to clean up.\n");
  if (handles.length > 0) await deleteLeakedHandles(io, client, ipam, handles);
  else io.stdout("Report didn't contain any handles to clean up.\n");
}

/** Addresses workloads and nodes use right now. */
async function addressesInUse(client: Client): Promise<Set<string>> {
  const [nodes, weps] = await Promise.all([
    listResources(client, 'Node'),
    listResources(client, 'WorkloadEndpoint'),
  ]);
  return new Set([...nodes.flatMap(nodeTunnelIPs), ...weps.flatMap(workloadIPs)].map((u) => u.ip));
}

type Verdict = 'release' | 'gone' | 'changed';

interface CurrentAllocation {
  handle?: string;
  sequenceNumber: bigint;
  cooling: boolean;
}

/** Every allocated address as the blocks hold it now (one listing, however many leaks). */
async function currentAllocations(ipam: IPAMClient): Promise<Map<string, CurrentAllocation>> {
  const out = new Map<string, CurrentAllocation>();
  for (const b of await listBlocks(ipam)) {
    const cidr = parseCIDR(b.cidr);
    b.allocations.forEach((idx, ord) => {
      if (idx === null || idx === undefined) return;
      const a = b.attributes[idx] ?? {};
      out.set(formatIP(nthAddress(cidr, ord)), {
        handle: a.handle_id,
        sequenceNumber: b.sequenceNumberForAllocation?.[String(ord)] ?? 0n,
        cooling: a.releasedAt !== undefined && a.handle_id === undefined,
      });
    });
  }
  return out;
}

/** Is the reported leak still exactly what the report saw, and still unused? */
function recheck(
  leak: LeakedAllocation,
  current: Map<string, CurrentAllocation>,
  inUse: Set<string>,
): Verdict {
  if (inUse.has(leak.ip)) return 'changed';
  const cur = current.get(leak.ip);
  if (!cur || cur.cooling) return 'gone';
  if (cur.handle !== leak.handle || cur.sequenceNumber !== BigInt(leak.sequenceNumber)) return 'changed';
  return 'release';
}

async function releaseLeakedIPs(
  io: CtlIO,
  client: Client,
  ipam: IPAMClient,
  leaks: LeakedAllocation[],
): Promise<void> {
  io.stdout(`Releasing ${leaks.length} old IPs...\n`);
  // Uses first, then allocations: an address taken between the two reads shows up as changed.
  const inUse = await addressesInUse(client);
  const current = await currentAllocations(ipam);
  const byBlock = new Map<string, ReleaseOptions[]>();
  let gone = 0;
  let changed = 0;
  for (const leak of leaks) {
    const verdict = recheck(leak, current, inUse);
    if (verdict === 'gone') gone++;
    else if (verdict === 'changed') changed++;
    else {
      const opt: ReleaseOptions = { address: leak.ip, sequenceNumber: BigInt(leak.sequenceNumber) };
      if (leak.handle !== undefined) opt.handleId = leak.handle;
      byBlock.set(leak.block, [...(byBlock.get(leak.block) ?? []), opt]);
    }
  }
  if (changed > 0) {
    io.stdout(
      `${changed} addresses marked as leaked in the report are in use or were re-allocated since; they were not released.\n`,
    );
  }
  let released = 0;
  let firstError: unknown;
  for (const opts of byBlock.values()) {
    // One call per block: a sequence-number mismatch fails its whole block, so retry that block
    // one address at a time to release the rest.
    try {
      const { unallocated } = await ipam.releaseIPs(opts);
      released += opts.length - unallocated.length;
      gone += unallocated.length;
      continue;
    } catch (e) {
      if (opts.length === 1) {
        firstError ??= e;
        continue;
      }
    }
    for (const opt of opts) {
      try {
        const { unallocated } = await ipam.releaseIPs([opt]);
        released += 1 - unallocated.length;
        gone += unallocated.length;
      } catch (e) {
        firstError ??= e;
      }
    }
  }
  if (firstError !== undefined) {
    io.stdout(
      `An error occurred while releasing some IPs: ${(firstError as Error).message}.  ` +
        'Problems are often caused by an out-of-date IPAM report.  Try regenerating the IPAM report and retry.\n',
    );
  }
  io.stdout(`Released ${released} IPs successfully\n`);
  if (gone > 0) io.stdout(`${gone} addresses marked as leaked in the report had already been cleaned up.\n`);
}

async function deleteLeakedHandles(
  io: CtlIO,
  client: Client,
  ipam: IPAMClient,
  handles: LeakedHandle[],
): Promise<void> {
  io.stdout(`Deleting ${handles.length} handles...\n`);
  io.stdout("Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.\n");
  // A handle some block refers to now is in use, whatever the report said.
  const used = new Set<string>();
  for (const b of await listBlocks(ipam)) {
    for (const a of b.attributes) if (a.handle_id !== undefined) used.add(a.handle_id);
  }
  let ok = 0;
  let skipped = 0;
  let errors = 0;
  for (const h of handles) {
    if (used.has(h.id) || !/^[0-9]+$/.test(h.revision)) {
      skipped++;
      io.stdout('x');
      continue;
    }
    try {
      await client.backend.delete(handleKey(h.id), BigInt(h.revision));
      ok++;
      io.stdout('.');
    } catch (e) {
      if (isCalicoError(e, 'NOT_FOUND') || isCalicoError(e, 'UPDATE_CONFLICT')) {
        skipped++;
        io.stdout('x');
      } else {
        errors++;
        io.stdout(`\nDeleting handle ${h.id} failed: ${(e as Error).message}.\n`);
      }
    }
  }
  io.stdout('\n');
  io.stdout(`Released ${ok} handles; ${skipped} skipped; ${errors} errors.\n`);
}
