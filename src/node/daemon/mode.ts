/**
 * calico-node's command line. Calico's binary takes one-dash flags (`-startup`, `-felix`,
 * `-bird-ready`); we accept one or two dashes.
 *
 * - no flag or `-run`: startup, then every component the networking backend needs.
 * - `-startup`: the start-up phase only (Node resource, pools, defaults), then exit.
 * - `-felix`, `-confd` (confd + BIRD), `-cni-agent`: only the named components (combinable),
 *   without startup (Calico runs startup once and each component as its own service).
 *   `-cni-agent` next to `-run` adds the agent to the full set.
 * - `-felix-ready`, `-felix-live`, `-bird-ready`, `-bird-live`: probes for exec health checks
 *   (combinable); exit 0 when all pass, 1 otherwise.
 */
import { CalicoError } from '../../errors/index.js';

export type Component = 'felix' | 'confd' | 'cniAgent';
export type ProbeCheck = 'felix-ready' | 'felix-live' | 'bird-ready' | 'bird-live';

export type NodeMode =
  | { kind: 'startup' }
  /** `components` undefined: every component the backend needs (plus `extra`). */
  | { kind: 'run'; startup: boolean; components?: Component[]; extra: Component[] }
  | { kind: 'probe'; checks: ProbeCheck[] }
  | { kind: 'help' }
  | { kind: 'version' };

export const NODE_USAGE = `Usage: calico-node [-run | -startup | -felix | -confd | -cni-agent | -felix-ready | -felix-live | -bird-ready | -bird-live]

  (no flag), -run  startup, then Felix, confd and BIRD as CALICO_NETWORKING_BACKEND needs
                   (bird: all three; vxlan, none: Felix only), plus the CNI agent when
                   CALICO_CNI_AGENT_SOCKET is set or -cni-agent is given
  -startup         the start-up phase only
  -felix           Felix only          -confd      confd and BIRD only
  -cni-agent       the CNI agent (with -run: in addition to the rest)
  -felix-ready, -felix-live   ask the health endpoint (FELIX_HEALTHHOST:FELIX_HEALTHPORT)
  -bird-ready, -bird-live     ask BIRD (CALICO_RUN_DIR/bird.ctl): up, and every BGP session established
  -v, -version     print the version

State: CALICO_RUN_DIR (default /var/run/calico), CALICO_STATE_DIR (default /var/lib/calico).
`;

const COMPONENT_FLAGS: Record<string, Component> = {
  felix: 'felix',
  confd: 'confd',
  'cni-agent': 'cniAgent',
};
const PROBE_FLAGS = new Set<string>(['felix-ready', 'felix-live', 'bird-ready', 'bird-live']);

function usage(message: string): CalicoError {
  return new CalicoError('USAGE', message, NODE_USAGE);
}

export function parseNodeArgs(argv: readonly string[]): NodeMode {
  const names = argv.map((a) => {
    const m = /^--?([a-z][a-z-]*)$/.exec(a);
    if (!m) throw usage(`calico-node: unexpected argument '${a}'`);
    return m[1];
  });
  if (names.some((n) => n === 'h' || n === 'help')) return { kind: 'help' };
  if (names.some((n) => n === 'v' || n === 'version')) return { kind: 'version' };
  if (names.length === 0) return { kind: 'run', startup: true, extra: [] };

  const components: Component[] = [];
  const checks: ProbeCheck[] = [];
  let run = false;
  let startup = false;
  for (const n of names) {
    if (n === 'run') run = true;
    else if (n === 'startup') startup = true;
    else if (COMPONENT_FLAGS[n]) {
      if (!components.includes(COMPONENT_FLAGS[n])) components.push(COMPONENT_FLAGS[n]);
    } else if (PROBE_FLAGS.has(n)) {
      if (!checks.includes(n as ProbeCheck)) checks.push(n as ProbeCheck);
    } else throw usage(`calico-node: unknown flag '-${n}'`);
  }
  const groups = [run || components.length > 0, startup, checks.length > 0].filter(Boolean).length;
  if (groups > 1) {
    throw usage('calico-node: -startup, the probes (-felix-ready ...) and the run modes cannot be combined');
  }
  if (startup) return { kind: 'startup' };
  if (checks.length) return { kind: 'probe', checks };
  if (run) {
    if (components.some((c) => c !== 'cniAgent'))
      throw usage('calico-node: -run starts every component already; only -cni-agent can be added');
    return { kind: 'run', startup: true, extra: components };
  }
  return { kind: 'run', startup: false, components, extra: [] };
}
