/**
 * The production CniDeps: the Linux dataplane, the real filesystem, and datastore clients created
 * on first use and cached per datastore configuration (a long-running agent keeps them).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LinuxDataplane } from './dataplane/linux.js';
import type { Dataplane } from './dataplane/dataplane.js';
import type { ConnectOptions, ConnectedDatastore } from './datastore-connect.js';
import { execPlugin, findOnCniPath } from './ipam/delegate.js';
import type { DatastoreSettings } from './netconf.js';
import type { CniDatastore, CniDeps, CniHooks } from './types.js';

export interface CniDepsOptions extends ConnectOptions {
  dataplane?: Dataplane;
  hooks?: CniHooks;
}

export interface ClosableCniDeps extends CniDeps {
  /** Closes every cached datastore connection. */
  close(): Promise<void>;
}

function readSmallFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function createCniDeps(opts: CniDepsOptions = {}): ClosableCniDeps {
  const cache = new Map<string, Promise<ConnectedDatastore>>();
  return {
    async datastore(settings: DatastoreSettings): Promise<CniDatastore> {
      const key = JSON.stringify(settings);
      let p = cache.get(key);
      if (!p) {
        p = import('./datastore-connect.js').then((m) => m.connectDatastore(settings, opts));
        cache.set(key, p);
        // A failed connection attempt is not cached: the next request tries again.
        p.catch(() => cache.delete(key));
      }
      return p;
    },
    dataplane: opts.dataplane ?? new LinuxDataplane(),
    readFile: readSmallFile,
    hostname,
    execPlugin,
    findPlugin: findOnCniPath,
    hooks: opts.hooks,
    async close(): Promise<void> {
      const all = [...cache.values()];
      cache.clear();
      await Promise.all(all.map((p) => p.then((d) => d.close()).catch(() => undefined)));
    },
  };
}
