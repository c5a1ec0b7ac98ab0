import type { Resource } from '../../api/index.js';
import { checkVersion, openClient, type GlobalOptions } from '../context.js';
import { CommandError, type CtlIO } from '../io.js';
import { parseKindArgs } from '../kind-args.js';
import { checkNamespaceFlags, type NamespaceFlags } from '../namespace.js';
import { errorText } from '../results.js';

export interface PatchOptions extends GlobalOptions, NamespaceFlags {
  patch: string;
  type?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Merge-patch semantics (objects merge, null deletes, everything else replaces). */
export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: { [k: string]: Json } =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

export async function runPatch(io: CtlIO, args: string[], opts: PatchOptions): Promise<void> {
  checkNamespaceFlags(opts);
  const { def, names } = parseKindArgs(args);
  if (names.length !== 1) throw new CommandError('patch takes exactly one resource name');
  let patch: Json;
  try {
    patch = JSON.parse(opts.patch) as Json;
  } catch (e) {
    throw new CommandError(`performing strategic merge patch: invalid JSON patch: ${errorText(e)}`);
  }
  const client = await openClient(io, opts);
  try {
    await checkVersion(client, opts);
    const ns = def.namespaced ? opts.namespace || 'default' : undefined;
    const current = await client.get(def.kind, names[0], ns);
    const merged = mergePatch(current as unknown as Json, patch) as unknown as Resource;
    // Identity and revision come from the store whatever the patch says.
    merged.metadata = {
      ...merged.metadata,
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: current.metadata.resourceVersion,
    };
    if (!merged.metadata.namespace) delete merged.metadata.namespace;
    merged.kind = current.kind;
    try {
      await client.update(merged);
    } catch (e) {
      throw new CommandError(`updating existing resource: ${errorText(e)}`);
    }
    io.stdout(`Successfully patched 1 '${def.kind}' resource\n`);
  } finally {
    await client.close();
  }
}
