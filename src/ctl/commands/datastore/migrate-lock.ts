/**
 * `calicoctl datastore migrate lock|unlock`: ClusterInformation `datastoreReady` false / true. A
 * locked datastore makes the CNI plugin refuse to run, so nothing allocates while `ipam check`
 * and `ipam release --from-report` work.
 */
import { ensureInitialized } from '../../../client/index.js';
import { checkVersion, openClient, type GlobalOptions } from '../../context.js';
import { CommandError, type CtlIO } from '../../io.js';

export async function runDatastoreLock(io: CtlIO, opts: GlobalOptions, lock: boolean): Promise<void> {
  const verb = lock ? 'locking' : 'unlocking';
  const client = await openClient(io, opts);
  try {
    await checkVersion(client, opts);
    if (lock) {
      try {
        await ensureInitialized(client, '', '');
      } catch (e) {
        throw new CommandError(
          `Unable to initialize cluster information for the datastore migration: ${(e as Error).message}`,
        );
      }
    }
    let ci;
    try {
      ci = await client.get('ClusterInformation', 'default');
    } catch (e) {
      throw new CommandError(`Error retrieving ClusterInformation for ${verb}: ${(e as Error).message}`);
    }
    try {
      await client.update({ ...ci, spec: { ...(ci.spec ?? {}), datastoreReady: !lock } });
    } catch (e) {
      throw new CommandError(`Error updating ClusterInformation for ${verb}: ${(e as Error).message}`);
    }
    io.stdout(lock ? 'Datastore locked.\n' : 'Datastore unlocked.\n');
  } finally {
    await client.close();
  }
}
