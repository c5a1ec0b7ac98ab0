/** The `calicoctl datastore` subtree (only `migrate lock|unlock` so far). */
import type { Command } from 'commander';
import { DEFAULT_CONFIG } from '../../context.js';
import type { CtlIO } from '../../io.js';

export function registerDatastoreCommands(program: Command, io: CtlIO): void {
  const global = (c: Command) => ({ ...program.opts(), ...c.opts() });
  const migrate = program
    .command('datastore')
    .description('calicoctl datastore management')
    .command('migrate')
    .description('prepare the datastore for migration');
  for (const lock of [true, false]) {
    migrate
      .command(lock ? 'lock' : 'unlock')
      .option('-c, --config <file>', 'path to the datastore config file', DEFAULT_CONFIG)
      .description(
        lock ? 'lock the datastore (ClusterInformation datastoreReady: false)' : 'unlock the datastore',
      )
      .action(async (_o, c: Command) =>
        (await import('./migrate-lock.js')).runDatastoreLock(io, global(c), lock),
      );
  }
}
