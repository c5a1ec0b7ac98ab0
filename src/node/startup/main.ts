/**
 * `calico-node startup` as a command: environment → NodeConfig, datastore client and IPAM, the
 * real interface reader, then runStartup. Returns the exit status (0, or 1 after "Terminating").
 */
import { Client } from '../../client/index.js';
import { createBackend, loadDatastoreConfig } from '../../datastore/index.js';
import { isCalicoError } from '../../errors/index.js';
import { IPAMClient } from '../../ipam/index.js';
import { parseNodeConfig } from '../config.js';
import { readInterfaces, routeGet, type IpCommandOptions } from './autodetect/ip-command.js';
import { realHostFiles, type HostFiles } from './host-files.js';
import { jsonLineLog } from './log.js';
import { runStartup } from './startup.js';

export interface StartupMainOptions {
  env?: NodeJS.ProcessEnv;
  /** Where log lines and errors go (default stderr). */
  out?: { write(s: string): unknown };
  /** Read interfaces in this network namespace instead of the current one. */
  ip?: IpCommandOptions;
  /** Host files (default: the real filesystem). */
  files?: HostFiles;
  /** Pause between datastore probes while WAIT_FOR_DATASTORE=true (default 1 s). */
  waitIntervalMs?: number;
}

function describe(e: unknown): string {
  if (isCalicoError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function startupMain(opts: StartupMainOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? process.stderr;
  let cfg;
  try {
    cfg = parseNodeConfig(env);
  } catch (e) {
    out.write(`ERROR: ${describe(e)}\n`);
    return 1;
  }
  const log = jsonLineLog(out, cfg.startupLogLevel);
  let client: Client;
  try {
    client = new Client(createBackend(await loadDatastoreConfig({ env })));
  } catch (e) {
    out.write(`ERROR: Error loading datastore config: ${describe(e)}\n`);
    return 1;
  }
  const ipam = new IPAMClient(client);
  client.ipamHooks = ipam.clientHooks();
  try {
    if (cfg.waitForDatastore) await waitForDatastore(client, opts.waitIntervalMs ?? 1000, log.info);
    await runStartup(cfg, {
      client,
      ipam,
      interfaces: () => readInterfaces(opts.ip),
      routeGet: (dst, family) => routeGet(dst, family, opts.ip),
      files: opts.files ?? realHostFiles,
      log,
    });
    return 0;
  } catch (e) {
    log.error(describe(e), { code: isCalicoError(e) ? e.code : undefined });
    log.error('Terminating');
    return 1;
  } finally {
    await client.close();
  }
}

/** Until a read gets an answer (NotFound counts): the datastore may start after calico-node. */
async function waitForDatastore(
  client: Client,
  intervalMs: number,
  info: (m: string) => void,
): Promise<void> {
  for (;;) {
    try {
      await client.get('Node', 'foo');
      return;
    } catch (e) {
      if (isCalicoError(e, 'NOT_FOUND')) return;
      if (!isCalicoError(e, 'DATASTORE') && !isCalicoError(e, 'DATASTORE_TIMEOUT')) throw e;
      info(`Waiting for the datastore: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
