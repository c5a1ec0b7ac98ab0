/**
 * Gathers KernelFacts from the filesystem. Every path is read under `root` ('/' on a real host, a
 * fake tree in tests), except an explicit `--kernel-config` file, which is used as given.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseKernelConfig, type KernelFacts } from './kernel-modules.js';

/**
 * Where a kernel config is looked for, first found wins. The last entry is our addition: kernels
 * built with CONFIG_IKCONFIG_PROC publish their config there, and on hosts without /boot or
 * /lib/modules (CONFIG_MODULES unset, everything built in) it is the only source.
 */
export function kernelConfigCandidates(release: string): string[] {
  return [
    '/usr/src/linux/.config',
    `/boot/config-${release}`,
    `/usr/src/linux-${release}/.config`,
    `/usr/src/linux-headers-${release}/.config`,
    `/lib/modules/${release}/build/.config`,
    '/proc/config.gz',
  ];
}

export interface KernelFactsResult {
  facts: KernelFacts;
  /** The config file used, if any. */
  configPath?: string;
  /** Set when an explicitly given config file could not be read. */
  configError?: string;
}

async function readText(path: string): Promise<string> {
  const raw = await readFile(path);
  // A config may be gzip-compressed (/proc/config.gz, or a copy of it given with -f).
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
}

async function readOptional(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

export async function gatherKernelFacts(
  release: string,
  root = '/',
  explicitConfig?: string,
): Promise<KernelFactsResult> {
  const at = (p: string) => join(root, p);
  const modDir = `/lib/modules/${release}`;
  const [sysModules, modulesDep, modulesBuiltin, procModules] = await Promise.all([
    readdir(at('/sys/module')).catch(() => [] as string[]),
    readOptional(at(`${modDir}/modules.dep`)),
    readOptional(at(`${modDir}/modules.builtin`)),
    // lsmod prints /proc/modules; reading it directly also works where lsmod is not installed.
    readOptional(at('/proc/modules')),
  ]);
  const loaded = new Set(
    procModules
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n !== ''),
  );
  const facts: KernelFacts = { sysModules: new Set(sysModules), modulesDep, modulesBuiltin, loaded };

  if (explicitConfig !== undefined) {
    try {
      facts.config = parseKernelConfig(await readText(explicitConfig));
      return { facts, configPath: explicitConfig };
    } catch (e) {
      return { facts, configError: (e as Error).message };
    }
  }
  for (const candidate of kernelConfigCandidates(release)) {
    const text = await readText(at(candidate)).catch(() => undefined);
    if (text !== undefined) {
      facts.config = parseKernelConfig(text);
      return { facts, configPath: candidate };
    }
  }
  return { facts };
}
