import type { Resource } from '../../api/index.js';
import type { Client } from '../../client/index.js';
import { checkVersion, openClient, type GlobalOptions } from '../context.js';
import { readResources } from '../input.js';
import { CommandError, type CtlIO } from '../io.js';
import { parseKindArgs } from '../kind-args.js';
import { checkNamespaceFlags, resolveNamespace, type NamespaceFlags } from '../namespace.js';
import { printResources } from '../printers/output.js';
import { errorText } from '../results.js';

export interface GetOptions extends GlobalOptions, NamespaceFlags {
  output: string;
  export?: boolean;
  filename?: string;
  recursive?: boolean;
}

/** Fields calicoctl --export clears so the output can be applied elsewhere. */
function exportable(r: Resource): Resource {
  const m = { ...r.metadata };
  delete m.namespace;
  delete m.uid;
  delete m.resourceVersion;
  delete m.creationTimestamp;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  return { ...r, metadata: m };
}

async function globalAS(client: Client): Promise<string> {
  try {
    const cfg = await client.get('BGPConfiguration', 'default');
    const as = (cfg.spec as { asNumber?: number } | undefined)?.asNumber;
    return String(as ?? 64512);
  } catch (e) {
    return (e as { code?: string }).code === 'NOT_FOUND' ? '64512' : 'unknown';
  }
}

export async function runGet(io: CtlIO, args: string[], opts: GetOptions): Promise<void> {
  checkNamespaceFlags(opts);
  let kind: string;
  let namespaced: boolean;
  let targets: Resource[] | undefined;
  if (opts.filename) {
    targets = await readResources(io, { filename: opts.filename, recursive: opts.recursive });
    if (targets.length === 0) throw new CommandError('no resources specified');
    kind = targets[0].kind;
    namespaced = false;
  } else {
    const { def, names } = parseKindArgs(args);
    kind = def.kind;
    namespaced = def.namespaced;
    if (!def.namespaced && (opts.namespace || opts.allNamespaces)) {
      // calicoctl ignores -n for cluster-scoped kinds on get; -A likewise.
    }
    if (names.length > 0) {
      if (def.namespaced && opts.allNamespaces) {
        throw new CommandError('cannot use --all-namespace flag for getting a single resource');
      }
      targets = names.map((name) => ({
        apiVersion: 'projectcalico.org/v3',
        kind: def.kind,
        metadata: { name, namespace: def.namespaced ? opts.namespace || 'default' : undefined },
      }));
    }
  }
  if (opts.export && !targets)
    throw new CommandError('--export can only be used when getting named resources');
  const client = await openClient(io, opts);
  try {
    await checkVersion(client, opts);
    const items: Resource[] = [];
    const errors: string[] = [];
    let listRevision: string | undefined;
    if (targets) {
      for (const t of targets) {
        const nsErr = opts.filename ? resolveNamespace(t, opts) : undefined;
        try {
          if (nsErr) throw new Error(nsErr);
          items.push(await client.get(t.kind, t.metadata.name!, t.metadata.namespace));
        } catch (e) {
          errors.push(errorText(e));
        }
      }
    } else {
      const ns = namespaced ? (opts.allNamespaces ? undefined : opts.namespace || 'default') : undefined;
      const list = await client.list(kind, { namespace: ns });
      items.push(...list.items);
      listRevision = list.metadata.resourceVersion;
    }
    const shown = opts.export ? items.map(exportable) : items;
    if (shown.length > 0 || errors.length === 0) {
      const needAS = kind === 'Node' && opts.output === 'wide';
      io.stdout(
        printResources(opts.output, {
          kind,
          items: shown,
          asList: !targets,
          listRevision,
          withNamespace: namespaced && !!(opts.namespace || opts.allNamespaces),
          ctx: { globalAS: needAS ? await globalAS(client) : '64512' },
        }),
      );
    }
    if (errors.length) throw new CommandError(errors.join('\n'));
  } finally {
    await client.close();
  }
}
