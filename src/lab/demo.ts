/**
 * `calico-lab demo`: the README's main job. A three-host BGP lab, one pod per host, every
 * cross-host pod pair pinged, then what a Calico user looks at (BGP peers, routes, nodes, IPAM
 * blocks), a Kubernetes NetworkPolicy enforced across hosts, and the lab removed again, also when
 * a step fails.
 */
import { policyDemo } from './demo-policy.js';
import { execIn, ping, printPing } from './exec.js';
import { errorText } from './lab-error.js';
import type { LabNames } from './names.js';
import { podAdd } from './pod-commands.js';
import type { Output } from './progress.js';
import { requireState } from './state.js';
import { teardown } from './teardown.js';
import { up } from './up.js';

const HOSTS = 3;

function summary(pingOutput: string): string {
  const lines = pingOutput.split('\n').filter((l) => /packets transmitted|^rtt /.test(l));
  return lines.length ? `...\n${lines.join('\n')}\n` : pingOutput;
}

export async function runDemo(names: LabNames, out: Output): Promise<number> {
  const flag = ` --name ${names.lab}`;
  const show = (cmd: string): void => {
    out.write(`\n$ calico-lab ${cmd}\n`);
  };
  let status = 0;
  try {
    show(`up${flag} --nodes ${HOSTS} --mode bgp`);
    await up(names, { nodes: HOSTS, mode: 'bgp', routeReflectors: 0, tor: false }, out);

    const pods: string[] = [];
    for (let i = 1; i <= HOSTS; i++) {
      const pod = `pod-${i}`;
      show(`pod add ${pod} --node ${i}${flag}`);
      await podAdd(names, pod, { node: String(i) }, out);
      pods.push(pod);
    }

    const state = requireState(names);
    const pairs = pods.flatMap((a, i) => pods.filter((_, j) => j !== i).map((b) => [a, b] as const));
    // Run together, printed in order: six pings of ~2 s each would otherwise take 12 s.
    const results = await Promise.all(pairs.map(([a, b]) => ping(state, a, b)));
    for (const [i, r] of results.entries()) {
      show(`ping ${r.from} ${r.to}${flag}`);
      // The first in full, then ping's summary lines: the same story six times is long.
      printPing(i === 0 ? r : { ...r, output: summary(r.output) }, out);
    }
    const ok = results.filter((r) => r.ok).length;
    out.write(`\ncross-host pod pings: ${ok}/${results.length} succeeded\n`);
    if (ok !== results.length) status = 1;

    const execShow = async (argv: string[]): Promise<void> => {
      show(`exec 1${flag} -- ${argv.join(' ')}`);
      const code = await execIn(names, state, '1', argv);
      if (code !== 0) {
        out.write(`(exit ${code})\n`);
        status = 1;
      }
    };
    await execShow(['calicoctl', 'node', 'status']);
    await execShow(['ip', 'route', 'show', 'proto', 'bird']);
    await execShow(['calicoctl', 'get', 'nodes', '-o', 'wide']);
    await execShow(['calicoctl', 'ipam', 'show', '--show-blocks']);
    if (!(await policyDemo(names, out, show))) status = 1;
  } catch (e) {
    out.write(`\ncalico-lab demo: ${errorText(e)}\n`);
    status = 1;
  } finally {
    show(`down${flag}`);
    try {
      await teardown(names);
      out.write(`lab '${names.lab}' removed: no namespaces, processes or files left\n`);
    } catch (e) {
      out.write(`calico-lab down: ${errorText(e)}\n`);
      status = 1;
    }
  }
  out.write(status === 0 ? '\ndemo: all steps succeeded\n' : '\ndemo: FAILED (see above)\n');
  return status;
}
