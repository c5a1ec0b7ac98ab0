import { API_VERSION, type Resource } from '../../api/index.js';
import { isCalicoError } from '../../errors/index.js';
import { checkVersion, openClient, type GlobalOptions } from '../context.js';
import { readResources } from '../input.js';
import { CommandError, type CtlIO } from '../io.js';
import { parseKindArgs } from '../kind-args.js';
import { checkNamespaceFlags, resolveNamespace, type NamespaceFlags } from '../namespace.js';
import { errorText } from '../results.js';

export interface DeleteOptions extends GlobalOptions, NamespaceFlags {
  filename?: string;
  recursive?: boolean;
  skipEmpty?: boolean;
  skipNotExists?: boolean;
}

export async function runDelete(io: CtlIO, args: string[], opts: DeleteOptions): Promise<void> {
  checkNamespaceFlags(opts);
  let targets: Resource[];
  if (opts.filename) {
    targets = await readResources(io, {
      filename: opts.filename,
      recursive: opts.recursive,
      skipEmpty: opts.skipEmpty,
    });
  } else {
    const { def, names } = parseKindArgs(args);
    if (names.length === 0) throw new CommandError('resource name may not be empty');
    targets = names.map((name) => ({ apiVersion: API_VERSION, kind: def.kind, metadata: { name } }));
  }
  if (targets.length === 0) {
    io.stdout('No resources specified\n');
    return;
  }
  const client = await openClient(io, opts);
  const failures: string[] = [];
  let ok = 0;
  try {
    await checkVersion(client, opts);
    for (const r of targets) {
      const nsErr = resolveNamespace(r, opts);
      try {
        if (nsErr) throw new Error(nsErr);
        await client.delete(r.kind, r.metadata.name!, r.metadata.namespace, r.metadata.resourceVersion);
        ok++;
      } catch (e) {
        if (opts.skipNotExists && isCalicoError(e, 'NOT_FOUND')) ok++;
        else failures.push(`Failed to delete '${r.kind}' resource: ${errorText(e)}`);
      }
    }
  } finally {
    await client.close();
  }
  const kinds = new Set(targets.map((t) => t.kind));
  const kind = kinds.size === 1 ? targets[0].kind : undefined;
  if (ok > 0 || failures.length === 0) {
    io.stdout(
      kind
        ? `Successfully deleted ${ok} '${kind}' resource(s)\n`
        : `Successfully deleted ${ok} resource(s)\n`,
    );
  }
  if (failures.length) throw new CommandError(failures.join('\n'));
}
