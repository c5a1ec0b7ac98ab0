import { kindByAlias, type KindDef } from '../api/index.js';
import { CommandError } from './io.js';

/** `KIND [NAME...]` from the command line, with calicoctl's kind names and messages. */
export function parseKindArgs(args: string[]): { def: KindDef; names: string[] } {
  const [kind, ...names] = args;
  if (!kind) throw new CommandError('resource type not specified');
  const def = kindByAlias(kind);
  if (!def) throw new CommandError(`resource type '${kind}' is not supported`);
  if (names.some((n) => n === '')) throw new CommandError('resource name may not be empty');
  return { def, names };
}
