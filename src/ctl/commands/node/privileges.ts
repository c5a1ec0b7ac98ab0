/** The root check of `node status` and `node checksystem`. */
import { CommanderError } from 'commander';
import type { CtlIO } from '../../io.js';

export const NOT_ROOT_MESSAGE = 'Need super user privileges: Operation not permitted';

export function processIsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * calicoctl prints this refusal on stdout (not stderr) and exits 1. A CommanderError is the one
 * error runCalicoctl turns into its exit status without printing anything more.
 */
export function requireRoot(io: CtlIO, isRoot: boolean): void {
  if (isRoot) return;
  io.stdout(`${NOT_ROOT_MESSAGE}\n`);
  throw new CommanderError(1, 'calicoctl.node.notRoot', NOT_ROOT_MESSAGE);
}
