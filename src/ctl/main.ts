import { Command, CommanderError, Option } from 'commander';
import { CalicoError } from '../errors/index.js';
import { registerDatastoreCommands } from './commands/datastore/register.js';
import { runDelete } from './commands/delete.js';
import { runGet } from './commands/get.js';
import { registerIpamCommands } from './commands/ipam/register.js';
import { runLabel } from './commands/label.js';
import { registerNodeCommands } from './commands/node/register.js';
import { runPatch } from './commands/patch.js';
import { runValidate } from './commands/validate.js';
import { runVersion } from './commands/version.js';
import { runWrite, type WriteAction } from './commands/write.js';
import { DEFAULT_CONFIG } from './context.js';
import { CommandError, type CtlIO } from './io.js';

const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'info', 'debug'];

type Opts = Record<string, unknown>;

function build(io: CtlIO): Command {
  const program = new Command('calicoctl')
    .description('calicoctl (calico-ts): manage Calico resources in the datastore')
    .option('-l, --log-level <level>', `log level (${LOG_LEVELS.join(', ')})`, 'panic')
    .option('--context <context>', 'kubeconfig context (exported as K8S_CURRENT_CONTEXT)')
    .option('--allow-version-mismatch', 'skip the client/cluster version check')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError(false)
    .hook('preAction', (cmd) => {
      const level = String(cmd.opts().logLevel);
      if (!LOG_LEVELS.includes(level)) {
        throw new CommandError(`unknown log level: ${level}, expected one of: ${LOG_LEVELS.join(', ')}`);
      }
    });

  const global = (cmd: Command): Opts => ({ ...program.opts(), ...cmd.opts() });
  const withConfig = (c: Command) =>
    c.option('-c, --config <file>', 'path to the datastore config file', DEFAULT_CONFIG);
  const withFile = (c: Command, required: boolean) => {
    const f = new Option('-f, --filename <file>', 'file, directory, or - for stdin');
    if (required) f.makeOptionMandatory();
    return c
      .addOption(f)
      .option('-R, --recursive', 'process directories recursively')
      .option('--skip-empty', "don't fail on files with no resources");
  };
  const withNamespace = (c: Command) => c.option('-n, --namespace <ns>', 'namespace of namespaced resources');

  for (const action of ['create', 'apply', 'replace'] as WriteAction[]) {
    const cmd = withNamespace(withConfig(withFile(program.command(action), true)))
      .description(`${action} resources from a file or stdin`)
      .action(async (_o, c: Command) => runWrite(io, action, global(c) as never));
    if (action === 'create') cmd.option('--skip-exists', 'skip resources that already exist');
  }

  withNamespace(withConfig(withFile(program.command('delete'), false)))
    .argument('[args...]', 'KIND NAME...')
    .option('-s, --skip-not-exists', 'skip resources that do not exist')
    .description('delete resources by file or by kind and name')
    .action(async (args: string[], _o, c: Command) => runDelete(io, args, global(c) as never));

  withNamespace(withConfig(withFile(program.command('get'), false)))
    .argument('[args...]', 'KIND [NAME...]')
    .option('-o, --output <format>', 'ps, wide, yaml, json, custom-columns=...', 'ps')
    .option('-A, --all-namespaces', 'all namespaces')
    .addOption(new Option('-a').hideHelp().implies({ allNamespaces: true }))
    .option('--export', 'strip cluster-specific metadata')
    .description('show resources')
    .action(async (args: string[], _o, c: Command) => runGet(io, args, global(c) as never));

  withNamespace(withConfig(program.command('patch')))
    .argument('<args...>', 'KIND NAME')
    .requiredOption('-p, --patch <json>', 'the patch (JSON)')
    .option('-t, --type <type>', 'patch type (a strategic merge is always performed)', 'strategic')
    .description('patch a resource')
    .action(async (args: string[], _o, c: Command) => runPatch(io, args, global(c) as never));

  withNamespace(withConfig(program.command('label')))
    .argument('<args...>', 'KIND NAME key=value | KIND NAME key --remove')
    .option('--overwrite', 'overwrite an existing label')
    .option('--remove', 'remove the label')
    .description('add, update or remove a label')
    .action(async (args: string[], _o, c: Command) => runLabel(io, args, global(c) as never));

  withFile(program.command('validate'), true)
    .description('validate resources offline')
    .action(async (_o, c: Command) => runValidate(io, global(c) as never));

  withConfig(program.command('version'))
    .option('--client', 'print the client version only')
    .description('print client and cluster versions')
    .action(async (_o, c: Command) => runVersion(io, global(c) as never));

  // calicoctl ipam (show, check, release, configure) and datastore migrate lock|unlock.
  registerIpamCommands(program, io);
  registerDatastoreCommands(program, io);
  registerNodeCommands(program, io);

  return program;
}

/** Runs calicoctl with the given arguments; returns the exit status. */
export async function runCalicoctl(argv: string[], io: CtlIO): Promise<number> {
  const program = build(io);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
        ? 0
        : 1;
    }
    if (e instanceof CommandError) {
      io.stderr(e.message + '\n');
      return 1;
    }
    if (e instanceof CalicoError) {
      io.stderr(e.message + (e.hint ? `\n(${e.hint})` : '') + '\n');
      return 1;
    }
    io.stderr(`${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}
