/**
 * A stand-in for BIRD's control socket: greets with `0001 BIRD 2.0.12 ready.` and answers
 * `show protocols` with a table framed as BIRD 2 frames it (`2002-` header, `1002-` first row,
 * space-led further rows, `0000 ` last line).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HEADER = '2002-Name       Proto      Table      State  Since         Info';

/** A `show protocols` reply from `name proto table state since info` rows. */
export function protocolsReply(rows: string[][]): string {
  const lines = rows.map((r, i) => `${i === 0 ? '1002-' : ' '}${r.join('  ')}`);
  return [HEADER, ...lines, '0000 '].join('\n') + '\n';
}

export type Behaviour =
  /** Greet, then answer every command with this text. */
  | { reply: string }
  /** Greet, then never answer. */
  | { hang: true }
  /** Close as soon as a client connects. */
  | { close: true };

export interface FakeBird {
  path: string;
  commands: string[];
  stop(): Promise<void>;
}

export async function startFakeBird(behaviour: Behaviour, dir?: string): Promise<FakeBird> {
  const own = dir === undefined ? await mkdtemp(join(tmpdir(), 'ctlnode-unit-')) : undefined;
  const path = join(dir ?? own!, 'bird.ctl');
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if ('close' in behaviour) {
      s.destroy();
      return;
    }
    s.write('0001 BIRD 2.0.12 ready.\n');
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        commands.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if ('reply' in behaviour) s.write(behaviour.reply);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    path,
    commands,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (own) await rm(own, { recursive: true, force: true });
    },
  };
}
