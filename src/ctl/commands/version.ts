import { GIT_COMMIT, VERSION } from '../../version.js';
import { openClient, type GlobalOptions } from '../context.js';
import { CommandError, type CtlIO } from '../io.js';

export async function runVersion(io: CtlIO, opts: GlobalOptions & { client?: boolean }): Promise<void> {
  io.stdout(`Client Version:    ${VERSION}\nGit commit:        ${GIT_COMMIT}\n`);
  if (opts.client) return;
  let client;
  try {
    client = await openClient(io, opts);
  } catch {
    io.stdout('Unable to detect installed Calico version\n');
    return;
  }
  try {
    let spec: { calicoVersion?: string; clusterType?: string } = {};
    try {
      spec = ((await client.get('ClusterInformation', 'default')).spec ?? {}) as typeof spec;
    } catch (e) {
      if ((e as { code?: string }).code !== 'NOT_FOUND') {
        throw new CommandError(`unable to retrieve Cluster Version or Type: ${(e as Error).message}`);
      }
    }
    io.stdout(
      `Cluster Version:   ${spec.calicoVersion || 'unknown'}\nCluster Type:      ${spec.clusterType || 'unknown'}\n`,
    );
  } finally {
    await client.close();
  }
}
