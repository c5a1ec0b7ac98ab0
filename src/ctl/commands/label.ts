import { checkVersion, openClient, type GlobalOptions } from '../context.js';
import { CommandError, type CtlIO } from '../io.js';
import { parseKindArgs } from '../kind-args.js';
import { checkNamespaceFlags, type NamespaceFlags } from '../namespace.js';

export interface LabelOptions extends GlobalOptions, NamespaceFlags {
  overwrite?: boolean;
  remove?: boolean;
}

export async function runLabel(io: CtlIO, args: string[], opts: LabelOptions): Promise<void> {
  checkNamespaceFlags(opts);
  const [kindArg, name, labelArg] = args;
  const { def } = parseKindArgs([kindArg]);
  if (!name || !labelArg || args.length > 3)
    throw new CommandError(
      'usage: calicoctl label <KIND> <NAME> (<key>=<value> [--overwrite] | <key> --remove)',
    );
  let key: string;
  let value: string | undefined;
  if (opts.remove) {
    key = labelArg;
    if (key.includes('=')) throw new CommandError(`invalid label ${labelArg}`);
  } else {
    const i = labelArg.indexOf('=');
    if (i <= 0) throw new CommandError(`invalid label ${labelArg}`);
    key = labelArg.slice(0, i);
    value = labelArg.slice(i + 1);
  }
  const kindWord = kindArg.toLowerCase();
  const client = await openClient(io, opts);
  try {
    await checkVersion(client, opts);
    const ns = def.namespaced ? opts.namespace || 'default' : undefined;
    let current;
    try {
      current = await client.get(def.kind, name, ns);
    } catch {
      throw new CommandError(`${kindWord} ${name} not found`);
    }
    const labels = { ...(current.metadata.labels ?? {}) };
    let message: string;
    if (opts.remove) {
      if (!(key in labels))
        throw new CommandError(`cannot remove label of ${kindWord} ${name}, key ${key} does not exist`);
      delete labels[key];
      message = `Successfully removed label ${key} from ${kindWord} ${name}`;
    } else if (key in labels) {
      if (labels[key] !== value && !opts.overwrite) {
        throw new CommandError(
          `failed to update label of ${kindWord} ${name}, key ${key} is already present. please use '--overwrite' to set a new value`,
        );
      }
      labels[key] = value!;
      message = `Successfully updated label ${key} on ${kindWord} ${name}`;
    } else {
      labels[key] = value!;
      message = `Successfully set label ${key} on ${kindWord} ${name}`;
    }
    current.metadata.labels = labels;
    try {
      await client.update(current);
    } catch (e) {
      throw new CommandError(
        `failed to update ${kindWord} ${name}, label not changed: ${(e as Error).message}`,
      );
    }
    io.stdout(message + '\n');
  } finally {
    await client.close();
  }
}
