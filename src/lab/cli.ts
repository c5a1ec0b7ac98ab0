/**
 * calico-lab's command line. Every command takes `--name` (default `lab`, or $CALICO_LAB_NAME),
 * so several labs can run side by side.
 */
import { Command, CommanderError, Option } from 'commander';
import { execIn, ping, printPing } from './exec.js';
import { errorText, LabError } from './lab-error.js';
import type { GetFormat } from './get.js';
import { DEFAULT_LAB, LabNames } from './names.js';

/** The demo's lab name (not `lab`: the demo must never remove a lab the user is running). */
const DEMO_LAB = 'demo';
import { podAdd, podDel } from './pod-commands.js';
import { blockSpawns } from './processes.js';
import { seconds, type Output } from './progress.js';
import { readState, requireState } from './state.js';
import { printStatus } from './status.js';
import { teardown } from './teardown.js';

export interface LabIO {
  stdout: Output;
  stderr: Output;
}

function nameOption(dflt: string): Option {
  return new Option('--name <lab>', 'lab name (prefix of its namespaces)')
    .default(dflt)
    .env('CALICO_LAB_NAME');
}

function whole(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new LabError(`${flag} needs a whole number, got '${v}'`, undefined, 2);
    return Number(v);
  };
}

function portNumber(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
    throw new LabError(`--port needs a port number (1-65535), got '${v}'`, undefined, 2);
  }
  return Number(v);
}

interface ProbeFlags {
  port: number;
  protocol: 'tcp' | 'udp';
  timeout: number;
}

/** All of stdin (for `-f -`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function createdByUs(names: LabNames): boolean {
  try {
    return readState(names)?.upPid === process.pid;
  } catch {
    return false;
  }
}

/** `--name X` as a user would type it (empty for the default lab). */
function nameFlag(lab: string): string {
  return lab === DEFAULT_LAB ? '' : ` --name ${lab}`;
}

interface InterruptGuard {
  /** Set once a signal arrived: the teardown that ends the process (never resolves). */
  stopping?: Promise<never>;
  release(): void;
}

/**
 * Ctrl-C (or SIGTERM) during a command that builds a lab: stop starting daemons, remove what
 * exists, exit 130. The daemons are detached, so without this they would outlive the command.
 */
function teardownOnInterrupt(names: LabNames, io: LabIO): InterruptGuard {
  const guard: InterruptGuard = { release: () => undefined };
  const handler = (sig: NodeJS.Signals): void => {
    if (guard.stopping) return;
    blockSpawns();
    io.stderr.write(`\ncalico-lab: ${sig}: removing lab '${names.lab}' ...\n`);
    guard.stopping = teardown(names)
      .then(() => io.stderr.write(`lab '${names.lab}' removed\n`))
      .catch((e: unknown) => io.stderr.write(`calico-lab: ${errorText(e)}\n`))
      .then(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  guard.release = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return guard;
}

function build(io: LabIO, setStatus: (n: number) => void): Command {
  const program = new Command('calico-lab')
    .description(
      'A Calico cluster in network namespaces on this machine: hosts on a fabric bridge, one etcd, one calico-node per host, pods made by the calico CNI plugin',
    )
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const labOf = (c: Command): LabNames => new LabNames(String(c.opts().name));

  program
    .command('up')
    .description('create a lab and wait until it is ready (removes leftovers of a crashed run first)')
    .addOption(nameOption(DEFAULT_LAB))
    .option('--nodes <n>', 'number of hosts', whole('--nodes'), 3)
    .addOption(
      new Option('--mode <mode>', 'how pods reach other hosts').choices(['bgp', 'vxlan']).default('bgp'),
    )
    .option(
      '--route-reflectors <k>',
      'make the first K hosts BGP route reflectors (mesh off)',
      whole('--route-reflectors'),
      0,
    )
    .option('--tor', 'add a GoBGP ToR router (eBGP, AS 64513) peering with every host')
    .addOption(
      new Option('--vxlan-mode <mode>', "the pool's vxlanMode (CrossSubnet: encapsulate only across subnets)")
        .choices(['Always', 'CrossSubnet'])
        .default('Always'),
    )
    .addOption(
      new Option(
        '--subnets <n>',
        'hosts in 2 subnets (first half 198.51.100.0/26, rest .128/26) joined by a router namespace <lab>-rtr with an outside address 198.51.100.254; the pool gets natOutgoing (needs --mode vxlan)',
      )
        .choices(['1', '2'])
        .default('1'),
    )
    .action(
      async (
        o: {
          nodes: number;
          mode: 'bgp' | 'vxlan';
          routeReflectors: number;
          tor?: boolean;
          vxlanMode: 'Always' | 'CrossSubnet';
          subnets: '1' | '2';
        },
        c: Command,
      ) => {
        const names = labOf(c);
        const guard = teardownOnInterrupt(names, io);
        try {
          // Loaded when needed: the datastore client is the heaviest import, and most commands skip it.
          const { up } = await import('./up.js');
          const s = await up(
            names,
            {
              nodes: o.nodes,
              mode: o.mode,
              routeReflectors: o.routeReflectors,
              tor: !!o.tor,
              vxlanMode: o.vxlanMode,
              subnets: o.subnets === '2' ? 2 : 1,
            },
            io.stdout,
          );
          const f = nameFlag(names.lab);
          io.stdout.write(
            `\nlab '${names.lab}' is up: ${s.hosts.map((h) => `${h.name} ${h.address}${h.prefixLength ? `/${h.prefixLength}` : ''}`).join(', ')}\n` +
              (s.router
                ? `router: ${s.router.netns} (${s.router.gateways.join(', ')}; outside address ${s.router.outsideAddress}): ip netns exec ${s.router.netns} tcpdump -ni any\n`
                : '') +
              `next: calico-lab pod add web${f} --node 1; calico-lab status${f}; calico-lab exec 1${f} -- calicoctl get nodes; calico-lab down${f}\n`,
          );
        } catch (e) {
          // Interrupted: the failure is the teardown's doing; it reports and exits.
          if (guard.stopping) await guard.stopping;
          // Before this run created anything (bad options, a lab already up), there is nothing to inspect.
          if (!createdByUs(names)) throw e;
          throw new LabError(
            errorText(e),
            `${e instanceof LabError && e.hint ? `${e.hint}\n` : ''}the lab is left as it is for inspection (logs in ${names.dir}); remove it with: calico-lab down${nameFlag(names.lab)}`,
          );
        } finally {
          guard.release();
        }
      },
    );

  program
    .command('status')
    .description('hosts, calico-node readiness, pods, and every host’s BGP peers')
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (_o, c: Command) => {
      const names = labOf(c);
      // A half-built lab is shown too (what exists, and that it is not ready).
      const state = readState(names) ?? requireState(names);
      setStatus((await printStatus(names, state, io.stdout)) ? 0 : 1);
    });

  const pod = program.command('pod').description('add or delete pods');
  pod
    .command('add')
    .description(
      'create a pod (a network namespace wired by the calico CNI plugin) and wait until every host routes to it',
    )
    .argument('<name>')
    .addOption(nameOption(DEFAULT_LAB))
    .option('--node <host>', 'host number or name (default: the host with the fewest pods)')
    .option('--no-wait', 'return after CNI ADD, without waiting for routes on the other hosts')
    .action(async (podName: string, o: { node?: string; wait: boolean }, c: Command) => {
      await podAdd(labOf(c), podName, { node: o.node, wait: o.wait }, io.stdout);
    });
  pod
    .command('del')
    .description('delete a pod (CNI DEL, then its namespace)')
    .argument('<name>')
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (podName: string, _o, c: Command) => {
      await podDel(labOf(c), podName, io.stdout);
    });

  const fileOption = (): Option =>
    new Option(
      '-f, --filename <file>',
      'YAML or JSON file (several documents), - for stdin',
    ).makeOptionMandatory();
  const manifestOf = async (file: string) => {
    const { parseManifest, readManifestText } = await import('./manifest.js');
    return parseManifest(await readManifestText(file, readStdin), file === '-' ? 'stdin' : file);
  };
  const manifestCommand = (name: 'apply' | 'delete', description: string): void => {
    program
      .command(name)
      .description(description)
      .addOption(fileOption())
      .addOption(nameOption(DEFAULT_LAB))
      .action(async (o: { filename: string }, c: Command) => {
        const names = labOf(c);
        requireState(names);
        const objects = await manifestOf(o.filename);
        const { applyManifest, deleteManifest } = await import('./apply.js');
        setStatus(await (name === 'apply' ? applyManifest : deleteManifest)(names, objects, io));
      });
  };
  manifestCommand(
    'apply',
    'create or update Kubernetes Namespaces, ServiceAccounts, Pods, NetworkPolicies and Calico v3 resources, as kubelet and kube-controllers would',
  );
  manifestCommand(
    'delete',
    'delete what a file describes (a Namespace with its pods, policies and service accounts)',
  );
  program
    .command('get')
    .description('Kubernetes pods: get pods; get pod NAMESPACE/NAME -o json')
    .argument('<what>', 'pods (or pod)')
    .argument('[pod]', 'NAMESPACE/NAME (or a name in default)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (what: string, ref: string | undefined, o: { output?: GetFormat }, c: Command) => {
      const { printGet } = await import('./get.js');
      printGet(requireState(labOf(c)), what, ref, o.output ?? 'table', io.stdout);
    });
  const portOption = (): Option =>
    new Option('--port <port>', 'destination port').argParser(portNumber).makeOptionMandatory();
  const protocolOption = (): Option =>
    new Option('--protocol <protocol>', 'tcp: a handshake; udp: a reply')
      .choices(['tcp', 'udp'])
      .default('tcp');
  const timeoutOption = (): Option =>
    new Option('--timeout <ms>', 'give up after this many milliseconds')
      .argParser(whole('--timeout'))
      .default(1000);
  program
    .command('probe')
    .description('connect from a pod to a pod or address on one port: exit 0 when connected, 1 when not')
    .argument('<from>', 'NAMESPACE/NAME (or a name in default, or a plain pod)')
    .argument('<to>', 'NAMESPACE/NAME, a pod name, or an IPv4 address')
    .addOption(portOption())
    .addOption(protocolOption())
    .addOption(timeoutOption())
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (from: string, to: string, o: ProbeFlags, c: Command) => {
      const { printProbe, probe } = await import('./probe.js');
      const opts = { port: o.port, protocol: o.protocol, timeoutMs: o.timeout };
      const r = await probe(requireState(labOf(c)), from, to, opts);
      printProbe(r, opts, io.stdout);
      setStatus(r.ok ? 0 : 1);
    });
  program
    .command('matrix')
    .description(
      'probe every Kubernetes pod from every one (itself included), all at once; X = not connected',
    )
    .addOption(portOption())
    .addOption(protocolOption())
    .addOption(timeoutOption())
    .option('--json', 'print {"ns/from": {"ns/to": true|false}}')
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (o: ProbeFlags & { json?: boolean }, c: Command) => {
      const { matrix, printMatrix } = await import('./probe.js');
      const r = await matrix(requireState(labOf(c)), {
        port: o.port,
        protocol: o.protocol,
        timeoutMs: o.timeout,
      });
      if (o.json) io.stdout.write(JSON.stringify(r.m) + '\n');
      else printMatrix(r.pods, r.m, io.stdout);
    });

  program
    .command('ping')
    .description('ping -n -c 3 -W 1 from a host or pod to a host, pod or IPv4 address')
    .argument('<from>')
    .argument('<to>')
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (from: string, to: string, _o, c: Command) => {
      const r = await ping(requireState(labOf(c)), from, to);
      printPing(r, io.stdout);
      setStatus(r.ok ? 0 : 1);
    });

  program
    .command('exec')
    .description(
      'run a command in a host (calicoctl on PATH, aimed at the lab) or a pod: exec h1 -- ip route',
    )
    .argument('<target>', 'host number, h<N>, host name, or pod name')
    .argument('<command...>')
    .addOption(nameOption(DEFAULT_LAB))
    // Everything after `--` is the command's, options included.
    .action(async (target: string, argv: string[], _o, c: Command) => {
      const names = labOf(c);
      setStatus(await execIn(names, requireState(names), target, argv));
    });

  program
    .command('down')
    .description('remove the lab: processes, namespaces, state (also what a crashed run left)')
    .addOption(nameOption(DEFAULT_LAB))
    .action(async (_o, c: Command) => {
      const names = labOf(c);
      io.stdout.write(`removing lab '${names.lab}' (processes, namespaces, ${names.dir}) ... `);
      const start = Date.now();
      const r = await teardown(names).catch((e: unknown) => {
        io.stdout.write('FAILED\n');
        throw e;
      });
      io.stdout.write(
        r.hadState || r.processes + r.namespaces > 0
          ? `done (${seconds(Date.now() - start)}): lab '${names.lab}' removed (${r.processes} process(es), ${r.namespaces} namespace(s))\n`
          : `nothing found: no lab '${names.lab}' to remove\n`,
      );
    });

  program
    .command('demo')
    .description('3 hosts in BGP mode, a pod on each, cross-host pings, node status, then down')
    .addOption(nameOption(DEMO_LAB))
    .action(async (_o, c: Command) => {
      const names = labOf(c);
      const guard = teardownOnInterrupt(names, io);
      try {
        const { runDemo } = await import('./demo.js');
        const status = await runDemo(names, io.stdout);
        if (guard.stopping) await guard.stopping;
        setStatus(status);
      } finally {
        guard.release();
      }
    });

  return program;
}

/** Runs calico-lab; returns the exit status. */
export async function runCalicoLab(argv: string[], io: LabIO): Promise<number> {
  let status = 0;
  const program = build(io, (n) => (status = n));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof LabError) {
      io.stderr.write(`calico-lab: ${e.message}\n${e.hint ? `${e.hint}\n` : ''}`);
      return e.exitCode;
    }
    io.stderr.write(`calico-lab: ${errorText(e)}\n`);
    return 1;
  }
}
