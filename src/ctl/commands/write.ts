import { applyDefaults, validateResource, type Resource } from '../../api/index.js';
import { ensureInitialized, type Client } from '../../client/index.js';
import { isCalicoError } from '../../errors/index.js';
import { checkVersion, openClient, type GlobalOptions } from '../context.js';
import { readResources, type InputOptions } from '../input.js';
import type { CtlIO } from '../io.js';
import { checkNamespaceFlags, resolveNamespace, type NamespaceFlags } from '../namespace.js';
import { errorText, report, type Outcome } from '../results.js';

export type WriteAction = 'create' | 'apply' | 'replace';
const PAST: Record<WriteAction, string> = { create: 'created', apply: 'applied', replace: 'replaced' };

export interface WriteOptions extends GlobalOptions, NamespaceFlags, InputOptions {
  skipExists?: boolean;
}

/**
 * Checks every document offline (namespace rules, defaults, validation) before anything is written:
 * a file with one bad document writes nothing. Returns the failures.
 */
export function precheck(resources: Resource[], flags: NamespaceFlags): Outcome[] {
  const bad: Outcome[] = [];
  for (const r of resources) {
    const nsErr = resolveNamespace(r, flags);
    if (nsErr) {
      bad.push({ kind: r.kind, error: nsErr });
      continue;
    }
    try {
      const probe = structuredClone(r);
      delete probe.metadata.resourceVersion;
      validateResource(applyDefaults(probe), 'create');
    } catch (e) {
      bad.push({ kind: r.kind, error: errorText(e) });
    }
  }
  return bad;
}

export async function runWrite(io: CtlIO, action: WriteAction, opts: WriteOptions): Promise<void> {
  checkNamespaceFlags(opts);
  const resources = await readResources(io, opts);
  const bad = precheck(resources, opts);
  if (bad.length) return report(io, action, PAST[action], bad);
  if (resources.length === 0) return report(io, action, PAST[action], []);
  const client = await openClient(io, opts);
  try {
    await checkVersion(client, opts);
    await ensureInitialized(client, '', '').catch(() => undefined);
    const outcomes: Outcome[] = [];
    if (action === 'replace') {
      for (const r of resources) {
        try {
          await writeOne(client, action, r, opts);
          outcomes.push({ kind: r.kind });
        } catch (e) {
          outcomes.push({ kind: r.kind, error: errorText(e) });
          break; // calicoctl stops replace at the first error
        }
      }
    } else {
      outcomes.push(...(await writeConcurrently(client, action, resources, opts)));
    }
    report(io, action, PAST[action], outcomes);
  } finally {
    await client.close();
  }
}

/** Replacements in flight at once: each is a read and a CAS write, so a large file is latency-bound. */
const CONCURRENCY = 32;
/**
 * Written one by one, in their place in the input: IPPools (their create checks the other pools)
 * and Tiers (policies later in the same input must find their tier). Batches never span them.
 */
const SEQUENTIAL_KINDS = new Set(['IPPool', 'Tier']);

/**
 * create/apply: runs of ordinary kinds go through the client's batched createMany (one etcd
 * transaction per 128 resources); apply then replaces the ones that already existed. Sequential
 * kinds are written one by one in their place. Outcomes come back in input order.
 */
async function writeConcurrently(
  client: Client,
  action: WriteAction,
  resources: Resource[],
  opts: WriteOptions,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(resources.length);
  let i = 0;
  while (i < resources.length) {
    if (SEQUENTIAL_KINDS.has(resources[i].kind)) {
      const r = resources[i];
      try {
        await writeOne(client, action, r, opts);
        outcomes[i] = { kind: r.kind };
      } catch (e) {
        outcomes[i] = { kind: r.kind, error: errorText(e) };
      }
      i++;
      continue;
    }
    let end = i;
    while (end < resources.length && !SEQUENTIAL_KINDS.has(resources[end].kind)) end++;
    await writeRun(client, action, resources, i, end, opts, outcomes);
    i = end;
  }
  return outcomes;
}

async function writeRun(
  client: Client,
  action: WriteAction,
  resources: Resource[],
  start: number,
  end: number,
  opts: WriteOptions,
  outcomes: Outcome[],
): Promise<void> {
  const run = resources.slice(start, end).map((r) => {
    const c = structuredClone(r);
    if (action === 'apply') delete c.metadata.resourceVersion;
    return c;
  });
  const applyReadonly = (r: Resource) => action === 'apply' && r.kind === 'ClusterInformation';
  const results = await client.createMany(run.filter((r) => !applyReadonly(r)));
  const toReplace: number[] = [];
  let k = 0;
  for (let j = 0; j < run.length; j++) {
    const idx = start + j;
    const kind = run[j].kind;
    if (applyReadonly(run[j])) {
      outcomes[idx] = {
        kind,
        error: 'operation apply is not supported on ClusterInformation: resource is readonly',
      };
      continue;
    }
    const err = results[k++];
    if (err === undefined) outcomes[idx] = { kind };
    else if (isCalicoError(err, 'ALREADY_EXISTS') && action === 'create' && opts.skipExists)
      outcomes[idx] = { kind };
    else if (
      (isCalicoError(err, 'ALREADY_EXISTS') || isCalicoError(err, 'OPERATION_NOT_SUPPORTED')) &&
      action === 'apply'
    ) {
      toReplace.push(idx);
    } else outcomes[idx] = { kind, error: errorText(err) };
  }
  let next = 0;
  const worker = async () => {
    while (next < toReplace.length) {
      const idx = toReplace[next++];
      try {
        await replace(client, resources[idx]);
        outcomes[idx] = { kind: resources[idx].kind };
      } catch (e) {
        outcomes[idx] = { kind: resources[idx].kind, error: errorText(e) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, toReplace.length) }, worker));
}

async function writeOne(client: Client, action: WriteAction, r: Resource, opts: WriteOptions): Promise<void> {
  if (action === 'create') {
    const input = structuredClone(r);
    try {
      await client.create(input);
    } catch (e) {
      if (!(opts.skipExists && isCalicoError(e, 'ALREADY_EXISTS'))) throw e;
    }
    return;
  }
  if (action === 'apply') {
    if (r.kind === 'ClusterInformation') {
      throw new Error('operation apply is not supported on ClusterInformation: resource is readonly');
    }
    const input = structuredClone(r);
    delete input.metadata.resourceVersion;
    try {
      await client.create(input);
      return;
    } catch (e) {
      if (!isCalicoError(e, 'ALREADY_EXISTS') && !isCalicoError(e, 'OPERATION_NOT_SUPPORTED')) throw e;
    }
  }
  await replace(client, r);
}

/** Stored metadata with the input's labels and annotations; the input's spec. */
function merge(stored: Resource, input: Resource): Resource {
  const out = structuredClone(input);
  out.metadata = {
    ...stored.metadata,
    labels: input.metadata.labels,
    annotations: input.metadata.annotations,
  };
  if (out.metadata.labels === undefined) delete out.metadata.labels;
  if (out.metadata.annotations === undefined) delete out.metadata.annotations;
  return out;
}

async function replace(client: Client, r: Resource): Promise<void> {
  const { kind } = r;
  const { name, namespace, resourceVersion } = r.metadata;
  if (resourceVersion) {
    const current = await client.get(kind, name!, namespace);
    if (current.metadata.resourceVersion !== resourceVersion) {
      const where = namespace ? `${namespace}/${name}` : name;
      throw new Error(
        `update conflict: ${kind}(${where}): resource version '${resourceVersion}' is out of date (latest: ${current.metadata.resourceVersion}). Update the resource YAML/JSON in order to make changes`,
      );
    }
    await client.update(merge(current, r));
    return;
  }
  for (let attempt = 1; ; attempt++) {
    const current = await client.get(kind, name!, namespace);
    try {
      await client.update(merge(current, r));
      return;
    } catch (e) {
      if (!isCalicoError(e, 'UPDATE_CONFLICT') || attempt >= 5) throw e;
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
}
