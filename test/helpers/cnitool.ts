/**
 * Drives our CNI plugins the way a runtime does: a conflist in a temporary NETCONFPATH, a CNI_PATH
 * whose `calico` / `calico-ipam` are wrapper scripts exec'ing node on dist/bin/*.js (CNI execs
 * plugins by name), and mini-cnitool (libcni) running add/check/del. The tool runs inside a "host"
 * namespace, so the plugin's host side is that namespace, never the root one.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/cni/dataplane/run.js';
import { makeTempDir, type Netns } from './netns.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const MINI_CNITOOL = join(DIST, 'tools', 'mini-cnitool');
export const CALICO_BIN = join(DIST, 'bin', 'calico.js');
export const CALICO_IPAM_BIN = join(DIST, 'bin', 'calico-ipam.js');

/** Builds mini-cnitool if needed (offline, a few seconds the first time). */
export function ensureMiniCnitool(): string {
  if (!existsSync(MINI_CNITOOL)) {
    const r = spawnSync('bash', [join(REPO, 'scripts', 'build-cnitool.sh')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build-cnitool.sh failed: ${r.stderr}`);
  }
  return MINI_CNITOOL;
}

export interface CniCallOptions {
  containerId?: string;
  ifname?: string;
  /** CNI_ARGS pairs, e.g. { K8S_POD_NAMESPACE: 'ns1', K8S_POD_NAME: 'web' }. */
  args?: Record<string, string>;
  /** Extra environment for the runtime (and so for the plugin). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A CNI error as the runtime reports it. */
export interface CniErrorOut {
  code: number;
  msg: string;
  details?: string;
}

export interface CniCallResult extends RunResult {
  /** Parsed stdout of a successful ADD. */
  result?: Record<string, unknown>;
  /** Parsed CNI error of a failed call. */
  error?: CniErrorOut;
}

function parse(r: RunResult): CniCallResult {
  const out: CniCallResult = { ...r };
  const text = r.stdout.trim();
  if (!text) return out;
  let v: Record<string, unknown> | undefined;
  for (const candidate of [text, text.split('\n').pop() ?? '']) {
    try {
      v = JSON.parse(candidate) as Record<string, unknown>;
      break;
    } catch {
      // next candidate
    }
  }
  if (!v) return out;
  if (r.code === 0) out.result = v;
  else if (typeof v.code === 'number') out.error = v as unknown as CniErrorOut;
  return out;
}

export class CniTool {
  readonly dir: string;
  readonly confDir: string;
  readonly binDir: string;
  readonly cacheDir: string;

  constructor(
    readonly host: Netns,
    private readonly baseEnv: Record<string, string> = {},
  ) {
    ensureMiniCnitool();
    this.dir = makeTempDir('cts-cnitool-');
    this.confDir = join(this.dir, 'net.d');
    this.binDir = join(this.dir, 'bin');
    this.cacheDir = join(this.dir, 'cache');
    for (const d of [this.confDir, this.binDir, this.cacheDir]) mkdirSync(d, { recursive: true });
    for (const [name, js] of [
      ['calico', CALICO_BIN],
      ['calico-ipam', CALICO_IPAM_BIN],
    ]) {
      const p = join(this.binDir, name);
      writeFileSync(p, `#!/bin/sh\nexec ${process.execPath} ${js} "$@"\n`);
      chmodSync(p, 0o755);
    }
  }

  get cniPath(): string {
    return `${this.binDir}:/usr/lib/cni`;
  }

  /** Writes `<name>.conflist`; returns its path. */
  writeConflist(name: string, plugins: Record<string, unknown>[], cniVersion = '1.0.0'): string {
    const p = join(this.confDir, `${name}.conflist`);
    writeFileSync(p, JSON.stringify({ cniVersion, name, plugins }, null, 2));
    return p;
  }

  /** Writes a raw conflist text (for malformed-config tests). */
  writeRaw(file: string, text: string): string {
    const p = join(this.confDir, file);
    writeFileSync(p, text);
    return p;
  }

  private env(opts: CniCallOptions): Record<string, string> {
    const e: Record<string, string> = {
      NETCONFPATH: this.confDir,
      CNI_PATH: this.cniPath,
      CNI_CACHE_DIR: this.cacheDir,
      CNI_IFNAME: opts.ifname ?? 'eth0',
      ...this.baseEnv,
      ...(opts.env ?? {}),
    };
    if (opts.containerId) e.CNI_CONTAINERID = opts.containerId;
    if (opts.args) {
      e.CNI_ARGS = Object.entries(opts.args)
        .map(([k, v]) => `${k}=${v}`)
        .join(';');
    }
    return e;
  }

  async call(cmd: 'add' | 'check' | 'del', net: string, pod: Netns | string, opts: CniCallOptions = {}) {
    const podPath = typeof pod === 'string' ? pod : pod.path;
    const r = await this.host.run(MINI_CNITOOL, [cmd, net, podPath], {
      env: this.env(opts),
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    return parse(r);
  }

  add(net: string, pod: Netns | string, opts?: CniCallOptions): Promise<CniCallResult> {
    return this.call('add', net, pod, opts);
  }

  check(net: string, pod: Netns | string, opts?: CniCallOptions): Promise<CniCallResult> {
    return this.call('check', net, pod, opts);
  }

  del(net: string, pod: Netns | string, opts?: CniCallOptions): Promise<CniCallResult> {
    return this.call('del', net, pod, opts);
  }

  /**
   * Runs a plugin directly (as a runtime would, in the host namespace) with a command, CNI_*
   * environment and stdin of our choosing: VERSION, GC, STATUS, malformed environments.
   */
  async plugin(
    plugin: 'calico' | 'calico-ipam',
    env: Record<string, string>,
    stdin: string,
    timeoutMs = 60_000,
  ): Promise<CniCallResult> {
    const r = await this.host.run(join(this.binDir, plugin), [], {
      env: { CNI_PATH: this.cniPath, ...this.baseEnv, ...env },
      stdin,
      timeoutMs,
    });
    return parse(r);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
