/**
 * `<state dir>/bin`: `calicoctl` for `calico-lab exec` (on PATH inside hosts, aimed at the lab's
 * etcd unless told otherwise), and the CNI plugins `calico` / `calico-ipam` installed as
 * `calico-cni-agent --install-plugins` installs them: the compiled Go shim, which hands each call to
 * the host's calico-node CNI agent (the socket named in the pod's network config) and execs the
 * Node launcher beside it (`<name>.cjs`, the in-process plugin) when no agent answers. Without Go
 * the Node launchers are the plugins. CNI_PATH is then a plugin directory as runtimes know it.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installPlugins, type InstallReport } from '../cni/agent/install.js';
import type { LabNames } from './names.js';
import { binPath, NODE_BIN } from './paths.js';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function script(target: string, env: Record<string, string>): string {
  const lines = ['#!/bin/sh', '# written by calico-lab'];
  for (const [k, v] of Object.entries(env)) lines.push(`: "\${${k}:=${v}}"`, `export ${k}`);
  lines.push(`exec ${shellQuote(NODE_BIN)} ${shellQuote(target)} "$@"`);
  return lines.join('\n') + '\n';
}

export function pluginFile(names: LabNames, plugin: 'calico' | 'calico-ipam'): string {
  return join(names.binDir, plugin);
}

/** Writes the bin directory; returns what the plugin installation did (shim or launchers, and why). */
export function writeWrappers(names: LabNames): InstallReport {
  mkdirSync(names.binDir, { recursive: true });
  const ctl = join(names.binDir, 'calicoctl');
  writeFileSync(
    ctl,
    script(binPath('calicoctl'), { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: names.etcdEndpoint }),
  );
  chmodSync(ctl, 0o755);
  return installPlugins(names.binDir, { nodePath: NODE_BIN });
}
