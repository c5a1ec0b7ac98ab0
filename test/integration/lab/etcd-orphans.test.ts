import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../../helpers/etcd.js';

const LAUNCHER = fileURLToPath(new URL('../../../src/lab/etcd-server.js', import.meta.url));

/** Running (a zombie left for init to reap counts as stopped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('etcd launcher', () => {
  it('reaps the etcd of a run that was killed with SIGKILL', async () => {
    // A child starts etcd, prints its PID and data dir, and is then killed before it can clean up.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startEtcd } = await import(${JSON.stringify(LAUNCHER)});
         const e = await startEtcd();
         process.stdout.write(JSON.stringify({ pid: e.pid, dir: e.dataDir }) + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const info = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(JSON.parse(buf));
      });
      child.on('exit', () => reject(new Error('child exited early')));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(alive(info.pid), 'the orphaned etcd is still running before the next start');

    const next = await startEtcd();
    try {
      for (let i = 0; i < 50 && alive(info.pid); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(!alive(info.pid), 'orphaned etcd was stopped');
      assert.ok(!existsSync(info.dir), 'orphaned data dir was removed');
    } finally {
      await next.stop();
    }
  });
});
