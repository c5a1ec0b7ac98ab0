/**
 * The executable installed as `calico` / `calico-ipam` in a CNI plugin directory: a two-line
 * CommonJS script run by node directly (no shell, no `env`), so an invocation costs one exec and
 * Node's own start-up, and only the thin plugin is loaded.
 */
import { fileURLToPath } from 'node:url';
import type { PluginName } from './protocol.cjs';

const ENTRY = fileURLToPath(new URL('./entry.cjs', import.meta.url));

export function pluginLauncher(plugin: PluginName, nodePath: string = process.execPath): string {
  return `#!${nodePath}\nrequire(${JSON.stringify(ENTRY)}).main(${JSON.stringify(plugin)});\n`;
}
