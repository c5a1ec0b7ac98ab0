/**
 * `calicoctl node checksystem [-f/--kernel-config FILE]` (calicoctl.md §5.2): the kernel version and
 * the kernel features Calico's dataplane uses, one result line each in calicoctl's layout.
 */
import { release as osRelease } from 'node:os';
import type { CtlIO } from '../../io.js';
import { CommandError } from '../../io.js';
import { gatherKernelFacts } from './kernel-facts.js';
import { KERNEL_MODULES, moduleAvailable } from './kernel-modules.js';
import { kernelAtLeast, MIN_KERNEL_VERSION } from './kernel-version.js';
import { processIsRoot, requireRoot } from './privileges.js';

export interface CheckSystemOptions {
  kernelConfig?: string;
}

export interface CheckSystemDeps {
  isRoot: () => boolean;
  /** What `uname -r` prints. */
  kernelRelease: () => string;
  /** Prefix for /sys, /proc, /lib/modules, /boot and /usr/src (tests point it at a fake tree). */
  root: string;
}

export const defaultCheckSystemDeps: CheckSystemDeps = {
  isRoot: processIsRoot,
  kernelRelease: osRelease,
  root: '/',
};

export const CHECKSYSTEM_FAILED =
  "system doesn't meet one or more minimum systems requirements to run Calico";

/** calicoctl's result line: the value padded to 20 columns between tabs. */
export function resultLine(value: string, result: 'OK' | 'FAIL' | 'SKIP'): string {
  return `\t\t${value.padEnd(20)}\t\t\t\t\t${result}\n`;
}

export async function runNodeCheckSystem(
  io: CtlIO,
  opts: CheckSystemOptions,
  deps: CheckSystemDeps = defaultCheckSystemDeps,
): Promise<void> {
  requireRoot(io, deps.isRoot());
  const release = deps.kernelRelease().trim();
  let ok = true;

  io.stdout('Checking kernel version...\n');
  if (kernelAtLeast(release)) {
    io.stdout(resultLine(release, 'OK'));
  } else {
    ok = false;
    io.stdout(resultLine(release, 'FAIL'));
    io.stdout(
      `Minimum kernel version to run Calico is ${MIN_KERNEL_VERSION}. Detected kernel version: ${release}\n`,
    );
  }

  io.stdout('Checking kernel modules...\n');
  const { facts, configError } = await gatherKernelFacts(release, deps.root, opts.kernelConfig);
  // calicoctl ignores an unreadable -f file silently; saying so explains the FAIL lines that follow.
  if (configError !== undefined) io.stdout(`WARNING: Unable to read kernel config: ${configError}\n`);
  for (const mod of KERNEL_MODULES) {
    if (moduleAvailable(mod, facts)) {
      io.stdout(resultLine(mod.name, 'OK'));
    } else if (mod.optional) {
      io.stdout(`WARNING: Unable to detect optional module/feature ${mod.name}; continuing\n`);
      io.stdout(resultLine(mod.name, 'SKIP'));
    } else {
      ok = false;
      io.stdout(`WARNING: Unable to detect the ${mod.name} module as Loaded/Builtin module or lsmod\n`);
      io.stdout(resultLine(mod.name, 'FAIL'));
    }
  }

  if (!ok) throw new CommandError(CHECKSYSTEM_FAILED);
  io.stdout('System meets minimum system requirements to run Calico!\n');
}
