/** The agent's socket file: stale-file removal before listening, owner check before unlinking. */
import { lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { CalicoError } from '../../errors/index.js';

/** True when something accepts connections on `path`. */
function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Makes `path` free to bind: creates its directory, removes a socket file nobody listens on (left
 * by a crashed agent), and refuses when another agent is alive or the path is not a socket.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) {
    throw new CalicoError(
      'CONFIG',
      `${path} exists and is not a socket`,
      'remove it or choose another --socket',
    );
  }
  if (await listening(path)) {
    throw new CalicoError(
      'CONFIG',
      `another calico-cni-agent is already listening on ${path}`,
      'stop it first, or give this one another socket (--socket or CALICO_CNI_AGENT_SOCKET)',
    );
  }
  unlinkSync(path);
}

/** Identity of the socket file we bound, so stop() never unlinks a successor's socket. */
export interface SocketFileId {
  dev: number;
  ino: number;
}

export function socketFileId(path: string): SocketFileId | undefined {
  try {
    const st = lstatSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

export function unlinkIfOurs(path: string, id: SocketFileId | undefined): void {
  const now = socketFileId(path);
  if (!id || !now || now.dev !== id.dev || now.ino !== id.ino) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
