/**
 * The upstream-style 3×3 cluster the model's tests use: namespaces x, y, z (label ns=<name>; y
 * also env=prod), pods a, b, c in each (label pod=<name>; b also tier=web), serving 80 and 81 on
 * TCP and UDP. Pod c names its TCP 81 port `http-alt` instead of `serve-81-tcp`.
 */
import type {
  ContainerPort,
  ClusterState,
  ModelPod,
  NetworkPolicy,
  NetworkPolicySpec,
} from '../../helpers/k8s-netpol-model.js';

export const NAMESPACES = ['x', 'y', 'z'];
export const PODS = ['a', 'b', 'c'];

export function ports(pod: string): ContainerPort[] {
  return [
    { name: 'serve-80-tcp', containerPort: 80, protocol: 'TCP' },
    { name: 'serve-80-udp', containerPort: 80, protocol: 'UDP' },
    { name: pod === 'c' ? 'http-alt' : 'serve-81-tcp', containerPort: 81, protocol: 'TCP' },
    { name: 'serve-81-udp', containerPort: 81, protocol: 'UDP' },
  ];
}

export function pods(): ModelPod[] {
  return NAMESPACES.flatMap((ns, i) =>
    PODS.map((p, j) => ({
      namespace: ns,
      name: p,
      labels: { pod: p, ...(p === 'b' ? { tier: 'web' } : {}) },
      ip: `203.0.113.${10 * (i + 1) + j}`,
      ports: ports(p),
    })),
  );
}

export function cluster(policies: NetworkPolicy[] = []): ClusterState {
  return {
    namespaces: NAMESPACES.map((n) => ({
      name: n,
      labels: { ns: n, ...(n === 'y' ? { env: 'prod' } : {}) },
    })),
    pods: pods(),
    policies,
  };
}

export function policy(namespace: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/**
 * A matrix written as rows of `.` (allowed) and `x` (denied), in the order x/a x/b x/c y/a ... z/c,
 * e.g. `'xxx ... ...'` for a row; whitespace is ignored.
 */
export function rows(...lines: string[]): Record<string, Record<string, boolean>> {
  const keys = NAMESPACES.flatMap((n) => PODS.map((p) => `${n}/${p}`));
  if (lines.length !== keys.length) throw new Error(`need ${keys.length} rows, got ${lines.length}`);
  const out: Record<string, Record<string, boolean>> = {};
  lines.forEach((line, i) => {
    const cells = line.replace(/\s+/g, '');
    if (cells.length !== keys.length) throw new Error(`row ${keys[i]} has ${cells.length} cells`);
    out[keys[i]] = Object.fromEntries(keys.map((k, j) => [k, cells[j] === '.']));
  });
  return out;
}
