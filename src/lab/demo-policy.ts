/**
 * The demo's network-policy act: three Kubernetes pods on three hosts, everything open, then a
 * Kubernetes NetworkPolicy that lets only `client` reach `web` on TCP 80, and the matrix again.
 */
import { applyManifest } from './apply.js';
import { parseManifest } from './manifest.js';
import type { LabNames } from './names.js';
import { matrix, printMatrix } from './probe.js';
import type { Output } from './progress.js';
import { seconds } from './progress.js';
import { requireState } from './state.js';

const PODS = (lab: string): string =>
  ['web', 'client', 'other']
    .map(
      (app, i) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${app}, namespace: demo, labels: {app: ${app}}}
spec:
  nodeName: ${lab}-h${i + 1}
  containers: [{name: ${app}, image: busybox, ports: [{containerPort: 80}]}]
`,
    )
    .join('');

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: demo}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{protocol: TCP, port: 80}]
`;

/** Returns true when every verdict was as expected. */
export async function policyDemo(
  names: LabNames,
  out: Output,
  show: (cmd: string) => void,
): Promise<boolean> {
  const flag = ` --name ${names.lab}`;
  const io = { stdout: out, stderr: out };
  const apply = async (text: string): Promise<boolean> => {
    show(`apply${flag} -f - <<EOF\n${text.trimEnd()}\nEOF`);
    return (await applyManifest(names, parseManifest(text, 'stdin'), io)) === 0;
  };
  const probeAll = () => matrix(requireState(names), { port: 80, protocol: 'tcp', timeoutMs: 1000 });

  if (!(await apply(PODS(names.lab)))) return false;
  show(`matrix --port 80${flag}`);
  let r = await probeAll();
  printMatrix(r.pods, r.m, out);
  const open = r.pods.every((a) => r.pods.every((b) => r.m[a][b]));

  if (!(await apply(POLICY))) return false;
  // Felix in each calico-node programs the policy after the datastore change (within a second).
  const start = Date.now();
  do {
    r = await probeAll();
  } while (r.m['demo/other']['demo/web'] && Date.now() - start < 10_000);
  show(`matrix --port 80${flag}`);
  printMatrix(r.pods, r.m, out);
  const enforced =
    r.m['demo/client']['demo/web'] && !r.m['demo/other']['demo/web'] && r.m['demo/web']['demo/other'];
  out.write(
    enforced
      ? `\npolicy enforced after ${seconds(Date.now() - start)}: only demo/client reaches demo/web on TCP 80; web's own egress is untouched\n`
      : '\npolicy NOT enforced as expected\n',
  );
  return open && enforced;
}
