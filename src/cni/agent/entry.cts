/**
 * Entry of the plugin executables (see launcher.ts): the thin plugin, with the whole plugin as the
 * in-process fallback, loaded only when no agent answers. Flags (`-v`) and a run by hand from a
 * terminal go straight to the full plugin's own main.
 */
import { pluginMain } from './plugin-main.cjs';
import { failure, type PluginName } from './protocol.cjs';

function byHand(): boolean {
  if (process.argv.length > 2) return true;
  if (process.env.CNI_COMMAND) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:tty') as typeof import('node:tty')).isatty(0);
}

export function main(plugin: PluginName): void {
  if (byHand()) {
    void import('../main.js').then((m) => m.pluginMain(plugin));
    return;
  }
  pluginMain(plugin, async () => (await import('./in-process.js')).runInProcess).catch((e: unknown) => {
    // Still a CNI answer: the runtime parses stdout whatever happened.
    process.stdout.write(failure({ stdin: '' }, `${plugin}: ${(e as Error).message ?? String(e)}`).stdout);
    process.exit(1);
  });
}
