/**
 * The `calicoctl ipam` subtree: show, check, release, configure. Each command's module loads when
 * it runs, so other commands do not pay for IPAM's code.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG } from '../../context.js';
import type { CtlIO } from '../../io.js';

export function registerIpamCommands(program: Command, io: CtlIO): void {
  const global = (c: Command) => ({ ...program.opts(), ...c.opts() });
  const withConfig = (c: Command) =>
    c.option('-c, --config <file>', 'path to the datastore config file', DEFAULT_CONFIG);
  const ipam = program.command('ipam').description('IP address management');

  withConfig(ipam.command('show'))
    .option('--ip <ip>', 'report whether this IP address is in use')
    .option('--show-blocks', 'show blocks as well as pools')
    .option('--show-borrowed', "show IP addresses borrowed from other hosts' blocks")
    .option('--show-configuration', 'show the IPAM configuration')
    .description('show IP usage, or details of one IP address')
    .action(async (_o, c: Command) => (await import('./show.js')).runIpamShow(io, global(c)));

  withConfig(ipam.command('check'))
    .option('--show-all-ips', 'print every IP that is checked')
    .option('--show-problem-ips', 'print every IP that is leaked or not allocated properly')
    .option('-o, --output <file>', 'write a JSON report for release --from-report')
    .option('--kubeconfig <file>', 'accepted for compatibility; this datastore needs none')
    .description('check IPAM data for inconsistencies')
    .action(async (_o, c: Command) => (await import('./check.js')).runIpamCheck(io, global(c)));

  withConfig(ipam.command('release'))
    .option('--ip <ip>', 'IP address to release')
    .option(
      '--from-report <file>',
      'release the leaks in this report (repeat to release only leaks every report found)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--force',
      'release even if the report is from another calicoctl version or the datastore is unlocked',
    )
    .description('release IP addresses')
    .action(async (_o, c: Command) => (await import('./release.js')).runIpamRelease(io, global(c)));

  withConfig(ipam.command('configure'))
    .option('--strictaffinity <bool>', "true: never borrow addresses from other hosts' blocks")
    .option('--max-blocks-per-host <n>', 'the most blocks one host may own')
    .option('--kubevirt-ip-persistence <mode>', 'Enabled or Disabled')
    .option('--ip-cooldown-seconds <n>', 'seconds a released IP waits before reuse (0-1200)')
    .description('change the IPAM configuration')
    .action(async (_o, c: Command) => (await import('./configure.js')).runIpamConfigure(io, global(c)));
}
