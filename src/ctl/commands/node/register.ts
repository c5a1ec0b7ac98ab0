/**
 * The `calicoctl node` subtree: status and checksystem. Each command's module loads when it runs.
 */
import type { Command } from 'commander';
import type { CtlIO } from '../../io.js';

export function registerNodeCommands(program: Command, io: CtlIO): void {
  const node = program.command('node').description('Calico node management');

  node
    .command('status')
    .option(
      '--bird-socket <path>',
      'BIRD control socket to query (calico-ts extension; default $CALICO_BIRD_SOCKET, ' +
        'else /var/run/calico/bird.ctl, then /var/run/bird/bird.ctl)',
    )
    .description('check the status of the Calico node: calico-node process and BGP peerings')
    .action(async (_o, c: Command) => (await import('./status.js')).runNodeStatus(io, c.opts()));

  node
    .command('checksystem')
    .option('-f, --kernel-config <file>', 'kernel config file to check (plain or gzip-compressed)')
    .description('check the host meets the kernel requirements to run Calico')
    .action(async (_o, c: Command) => (await import('./checksystem.js')).runNodeCheckSystem(io, c.opts()));
}
