/** Where the compiled entry points live, relative to this module (dist/src/lab → dist/bin). */
import { fileURLToPath } from 'node:url';

export function binPath(name: 'calico-node' | 'calico' | 'calico-ipam' | 'calicoctl' | 'calico-lab'): string {
  return fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));
}

/** The Node.js binary running us: daemons and plugins use the same one. */
export const NODE_BIN = process.execPath;
