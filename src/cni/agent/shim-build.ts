/**
 * Builds the compiled thin plugin (tools/cni-shim, Go, stdlib only) for one plugin name. A Go
 * plugin starts in ~2 ms where Node takes ~40 ms, and every CNI call execs the plugin at least once.
 * Built offline with the machine's Go (no module downloads); the plugin's name and the path of the
 * Node launcher it falls back to are set at link time, so the binary needs no other file to run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginName } from './protocol.cjs';

/** The Go source, in the repository beside dist/. */
export const SHIM_SRC_DIR = fileURLToPath(new URL('../../../../tools/cni-shim/', import.meta.url));
/** Go's build cache, shared with the other tools built from this checkout. */
const GO_CACHE_DIR = fileURLToPath(new URL('../../../tools/.gocache', import.meta.url));
/**
 * Linked shims by (plugin, fallback path, source): Go's cache still relinks each time (~2 s per
 * plugin), and a lab installs the same pair into the same directory on every `up`.
 */
const SHIM_CACHE_DIR = fileURLToPath(new URL('../../../tools/cni-shim-cache', import.meta.url));
/** Entries kept (2 MB each); tests install into fresh temporary directories. */
const SHIM_CACHE_ENTRIES = 16;

export type ShimBuild = { ok: true } | { ok: false; why: string };

function goAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0;
}

/** Whether the shim can be built here; the reason when not. */
export function shimUnavailable(): string | undefined {
  if (!existsSync(join(SHIM_SRC_DIR, 'main.go'))) return `its source ${SHIM_SRC_DIR} is missing`;
  if (!goAvailable()) return 'Go is not installed (Debian: golang-go)';
  return undefined;
}

/**
 * Builds the shim for `plugin` into `out`, falling back to the Node launcher at `fallback` (an
 * absolute path). Writes only `out`; a failed build leaves nothing behind.
 */
export function buildShim(plugin: PluginName, out: string, fallback: string): ShimBuild {
  const unavailable = shimUnavailable();
  if (unavailable) return { ok: false, why: unavailable };
  // -ldflags splits on spaces outside quotes; a path holding both quote kinds cannot be passed.
  if (fallback.includes("'") && fallback.includes('"'))
    return { ok: false, why: `the path ${fallback} holds both quote characters` };
  const q = fallback.includes("'") ? '"' : "'";
  const ldflags = `-s -w -X main.pluginName=${plugin} -X ${q}main.fallbackPath=${fallback}${q}`;
  const cached = join(SHIM_CACHE_DIR, cacheName(plugin, ldflags));
  if (copyCached(cached, out)) return { ok: true };
  mkdirSync(GO_CACHE_DIR, { recursive: true });
  const r = spawnSync('go', ['build', '-o', out, '-ldflags', ldflags, '.'], {
    cwd: SHIM_SRC_DIR,
    encoding: 'utf8',
    timeout: 180_000,
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      // Offline: stdlib only, no module downloads; a static binary.
      GOFLAGS: '-mod=mod',
      GOPROXY: 'off',
      GOCACHE: GO_CACHE_DIR,
      GOPATH: join(GO_CACHE_DIR, '..', '.gopath'),
      CGO_ENABLED: '0',
    },
  });
  if (r.status !== 0) {
    rmSync(out, { force: true });
    const why = (r.stderr || r.stdout || r.error?.message || `exit ${r.status ?? r.signal}`).trim();
    return { ok: false, why: `go build failed: ${why}` };
  }
  remember(out, cached);
  return { ok: true };
}

/** Named by what decides the binary: the link flags (plugin, fallback path) and the source. */
function cacheName(plugin: PluginName, ldflags: string): string {
  const h = createHash('sha256').update(`${ldflags}\0`);
  for (const f of readdirSync(SHIM_SRC_DIR).sort()) {
    if (f.endsWith('.go') || f === 'go.mod') h.update(`${f}\0`).update(readFileSync(join(SHIM_SRC_DIR, f)));
  }
  return `${plugin}-${h.digest('hex').slice(0, 24)}`;
}

function copyCached(cached: string, out: string): boolean {
  try {
    copyFileSync(cached, out);
    chmodSync(out, 0o755);
    return true;
  } catch {
    rmSync(out, { force: true });
    return false;
  }
}

/** Best effort: a cache that cannot be written only costs the next install a link. */
function remember(built: string, cached: string): void {
  try {
    mkdirSync(SHIM_CACHE_DIR, { recursive: true });
    copyFileSync(built, `${cached}.${process.pid}.tmp`);
    renameSync(`${cached}.${process.pid}.tmp`, cached);
    const entries = readdirSync(SHIM_CACHE_DIR)
      .filter((f) => !f.endsWith('.tmp'))
      .map((f) => ({ f, t: statSync(join(SHIM_CACHE_DIR, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of entries.slice(SHIM_CACHE_ENTRIES)) rmSync(join(SHIM_CACHE_DIR, f), { force: true });
  } catch {
    // not cached
  }
}
