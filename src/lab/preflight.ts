/** What a machine needs before `up` starts changing anything, reported all at once. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LabError } from './lab-error.js';
import { binPath } from './paths.js';
import type { LabMode } from './state.js';

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export function preflight(mode: LabMode, tor: boolean): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(
      'calico-lab needs root',
      'network namespaces, veths and routes need CAP_NET_ADMIN: run it as root',
    );
  }
  const tools: [string, string][] = [
    ['ip', 'iproute2'],
    ['nsenter', 'util-linux'],
    ['etcd', 'etcd-server'],
    ['ping', 'iputils-ping'],
  ];
  if (mode === 'bgp') tools.push(['bird', 'bird2'], ['birdc', 'bird2']);
  if (tor) tools.push(['gobgpd', 'gobgpd'], ['gobgp', 'gobgpd']);
  const missing = tools.filter(([t]) => !have(t));
  if (missing.length > 0) {
    throw new LabError(
      `missing tools: ${missing.map(([t]) => t).join(', ')}`,
      `install them with scripts/bootstrap (or apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')})`,
    );
  }
  for (const b of ['calico-node', 'calico', 'calicoctl'] as const) {
    if (!existsSync(binPath(b))) throw new LabError(`${binPath(b)} is missing`, 'build first: npm run build');
  }
}
