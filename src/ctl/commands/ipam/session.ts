/** Opens what an ipam command works with: the resource client (version-checked) and IPAM over it. */
import type { Client } from '../../../client/index.js';
import { IPAMClient } from '../../../ipam/ipam-client.js';
import { checkVersion, openClient, type GlobalOptions } from '../../context.js';
import type { CtlIO } from '../../io.js';

export interface IPAMSession {
  client: Client;
  ipam: IPAMClient;
}

export async function withIPAM<T>(
  io: CtlIO,
  opts: GlobalOptions,
  fn: (s: IPAMSession) => Promise<T>,
): Promise<T> {
  const client = await openClient(io, opts);
  try {
    await checkVersion(client, opts);
    return await fn({ client, ipam: new IPAMClient(client) });
  } finally {
    await client.close();
  }
}
