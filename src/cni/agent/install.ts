/**
 * `calico-cni-agent --install-plugins DIR`: puts the `calico` and `calico-ipam` plugins into a
 * CNI bin directory. Each gets its Node launcher as `<name>.cjs` (the thin plugin with the
 * in-process fallback); `<name>` itself is the compiled Go shim, which hands calls to the agent and
 * execs `<name>.cjs` when no agent runs. Without Go, `<name>` is the Node launcher as before.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pluginLauncher } from './launcher.js';
import type { PluginName } from './protocol.cjs';
import { buildShim, shimUnavailable } from './shim-build.js';

export const PLUGIN_NAMES: readonly PluginName[] = ['calico', 'calico-ipam'];

export interface InstallOptions {
  /** Install the Go shim as `<name>` when it can be built (default true). */
  goShim?: boolean;
  /** The Node binary the launchers run (default this process's). */
  nodePath?: string;
}

export interface InstallReport {
  /** Files written, in order. */
  files: string[];
  /** Whether `<name>` is the Go shim (else the Node launcher). */
  shim: boolean;
  /** Why the Node launchers were installed as the plugins, when the shim was wanted. */
  note?: string;
}

/** Writes beside, then renames: a runtime exec'ing the plugin never sees a half-written file. */
function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o755 });
  renameSync(`${file}.tmp`, file);
}

export function installPlugins(dir: string, opts: InstallOptions = {}): InstallReport {
  const abs = resolve(dir);
  const files: string[] = [];
  const plugin = (name: PluginName) => join(abs, name);
  for (const name of PLUGIN_NAMES) {
    writeAtomically(`${plugin(name)}.cjs`, pluginLauncher(name, opts.nodePath));
    files.push(`${plugin(name)}.cjs`);
  }
  let note = opts.goShim === false ? undefined : shimUnavailable();
  let shim = opts.goShim !== false && note === undefined;
  // Both shims are built before either is put in place: the pair is always of one kind.
  for (const name of shim ? PLUGIN_NAMES : []) {
    const built = buildShim(name, `${plugin(name)}.tmp`, `${plugin(name)}.cjs`);
    if (!built.ok) {
      note = built.why;
      shim = false;
      break;
    }
  }
  for (const name of PLUGIN_NAMES) {
    if (shim) renameSync(`${plugin(name)}.tmp`, plugin(name));
    else {
      rmSync(`${plugin(name)}.tmp`, { force: true });
      writeAtomically(plugin(name), pluginLauncher(name, opts.nodePath));
    }
    files.push(plugin(name));
  }
  return { files, shim, ...(note !== undefined ? { note } : {}) };
}
