/**
 * The host-wide IPAM lock (`ipam_lock_file`). Calico flock()s the file so that allocations on one
 * host do not fight each other over the same blocks; Node has no flock, so the lock is the file's
 * existence (created with O_EXCL, holding the owner's PID). A lock whose owner died (a SIGKILLed
 * plugin) is taken over. Like Calico's, the lock is best effort: failing to get it is logged and
 * the allocation goes ahead (the datastore's compare-and-swap keeps it correct).
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CniLogger } from '../logger.js';

export interface HostLockOptions {
  /** Give up waiting (and go ahead unlocked) after this long. */
  waitMs?: number;
  pollMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock file's owner is gone (or the file was never completed and is old). */
function isStale(path: string): boolean {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return false; // vanished: just retry
  }
  const pid = Number.parseInt(text.split('\n')[0], 10);
  if (Number.isInteger(pid) && pid > 0) return !alive(pid);
  return ageMs > 2000;
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(dirname(path), { recursive: true });
      return tryCreate(path);
    }
    throw e;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Runs `fn` holding the lock at `path`. */
export async function withHostLock<T>(
  path: string,
  log: CniLogger,
  fn: () => Promise<T>,
  opts: HostLockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  const poll = opts.pollMs ?? 10;
  let held = false;
  try {
    for (;;) {
      if (tryCreate(path)) {
        held = true;
        break;
      }
      if (isStale(path)) {
        log.warn(`taking over stale IPAM lock ${path} (its owner is gone)`);
        try {
          unlinkSync(path);
        } catch {
          // someone else took it over first
        }
        continue;
      }
      if (Date.now() > deadline) {
        log.warn(`could not get the IPAM lock ${path}; continuing without it`);
        break;
      }
      await new Promise((r) => setTimeout(r, poll));
    }
  } catch (e) {
    log.warn(`failed to lock ${path}: ${(e as Error).message}; continuing without it`);
  }
  try {
    return await fn();
  } finally {
    if (held) {
      try {
        unlinkSync(path);
      } catch {
        // removed by a stale-lock takeover after a very long hold
      }
    }
  }
}
