/** Helpers for the etcd fault tests: tracked backends, an etcd per describe block, typed errors, timing. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before } from 'node:test';
import type { Backend } from '../../src/datastore/backend.js';
import { CalicoError } from '../../src/errors/index.js';
import { describeEvent, WatchReader } from './backend-conformance.js';
import { startEtcd, type EtcdHandle, type StartEtcdOptions } from './etcd.js';
import { FaultProxy } from './fault-proxy.js';

/** Backends opened by a test, closed after it whatever happens. */
const open: Backend[] = [];
export function track<B extends Backend>(b: B): B {
  open.push(b);
  return b;
}
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((b) => b.close()));
}

/**
 * Starts an etcd for the enclosing describe block; after the block, closes the tracked backends and
 * stops it. Returns a getter, as etcd only exists once the block runs.
 */
export function useEtcd(opts?: StartEtcdOptions): () => EtcdHandle {
  let etcd: EtcdHandle | undefined;
  before(async () => {
    etcd = await startEtcd(opts);
  });
  after(async () => {
    await closeAll();
    await etcd?.stop();
  });
  return () => {
    if (!etcd) throw new Error('etcd is not started yet (use it inside a test)');
    return etcd;
  };
}

/** Asserts p rejects with a DatastoreError of this code and message; returns the error. */
export async function datastoreError(
  p: Promise<unknown>,
  code: 'DATASTORE' | 'DATASTORE_TIMEOUT',
  message: RegExp,
): Promise<CalicoError> {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => {
    err = e;
    assert.ok(e instanceof CalicoError, String(e));
    assert.equal(e.name, 'DatastoreError');
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
  return err as CalicoError;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs fn with a fresh etcd that has auth enabled and one user, root:rootpw; after, closes the
 * tracked backends and stops that etcd.
 */
export async function withAuthEtcd(fn: (auth: EtcdHandle) => Promise<void>): Promise<void> {
  const auth = await startEtcd();
  try {
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['role', 'add', 'root'],
      ['user', 'grant-role', 'root', 'root'],
      ['auth', 'enable'],
    ]) {
      const r = await auth.etcdctl(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    await fn(auth);
  } finally {
    await closeAll();
    await auth.stop();
  }
}

/** Runs an ES module script in a child node (15 s at most): its exit code, output and run time. */
export async function runNodeScript(
  script: string,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const [r, ms] = await timed(
    () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script],
          { timeout: 15_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
      }),
  );
  return { ...r, ms };
}

/** Runs fn with a FaultProxy to etcd's client port; after, closes the tracked backends and the proxy. */
export async function withFaultProxy(
  etcd: EtcdHandle,
  fn: (proxy: FaultProxy) => Promise<void>,
): Promise<void> {
  const proxy = await FaultProxy.start(Number(new URL(etcd.clientUrl).port));
  try {
    await fn(proxy);
  } finally {
    await closeAll();
    proxy.close();
  }
}

/**
 * A watch on prefix from the creation of `<prefix>k` (value 0) that has delivered one live change
 * (to 1): the stream is known to work before a test breaks it.
 */
export async function liveWatch(writer: Backend, watcher: Backend, prefix: string): Promise<WatchReader> {
  const k0 = await writer.create(`${prefix}k`, '0');
  const r = new WatchReader(watcher.watch(prefix, { fromRevision: k0.modRevision }));
  await writer.put(`${prefix}k`, '1');
  assert.equal(describeEvent(await r.event()), `MODIFIED ${prefix}k=1 (prev 0)`);
  return r;
}
