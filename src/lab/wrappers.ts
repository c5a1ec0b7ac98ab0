/**
 * `<state dir>/bin`: `calicoctl` for `calico-lab exec` (on PATH inside hosts, aimed at the lab's
 * etcd unless told otherwise), and the CNI plugins `calico` / `calico-ipam` installed as an
 * installation installs them (the thin launcher that hands requests to the host's calico-node CNI
 * agent), so CNI_PATH is a plugin directory as runtimes know it.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginLauncher } from '../cni/agent/launcher.js';
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

export function writeWrappers(names: LabNames): void {
  mkdirSync(names.binDir, { recursive: true });
  const files: [string, string][] = [
    [
      'calicoctl',
      script(binPath('calicoctl'), { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: names.etcdEndpoint }),
    ],
    ['calico', pluginLauncher('calico', NODE_BIN)],
    ['calico-ipam', pluginLauncher('calico-ipam', NODE_BIN)],
  ];
  for (const [name, text] of files) {
    const p = join(names.binDir, name);
    writeFileSync(p, text);
    chmodSync(p, 0o755);
  }
}
