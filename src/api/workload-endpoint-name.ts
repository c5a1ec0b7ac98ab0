/**
 * WorkloadEndpoint names are derived from the spec: `<node>-<orch>-<id>-<endpoint>` where the id
 * segment depends on the orchestrator (k8s: pod, cni: containerID, libnetwork: the literal
 * `libnetwork`, others: workload). A `-` inside a segment is written `--`, so the name can be
 * split back on single dashes.
 */
import { ValidationError } from '../errors/index.js';

/** The spec fields that identify a workload endpoint. */
export interface WorkloadEndpointIdentifiers {
  node?: string;
  orchestrator?: string;
  workload?: string;
  pod?: string;
  containerID?: string;
  endpoint?: string;
}

type IdField = keyof WorkloadEndpointIdentifiers;

/** Which spec field supplies each of the four name segments, per orchestrator. */
function segmentFields(orchestrator: string | undefined): [IdField, IdField, IdField, IdField] {
  switch (orchestrator) {
    case 'k8s':
      return ['node', 'orchestrator', 'pod', 'endpoint'];
    case 'cni':
      return ['node', 'orchestrator', 'containerID', 'endpoint'];
    case 'libnetwork':
      return ['node', 'orchestrator', 'orchestrator', 'endpoint'];
    default:
      return ['node', 'orchestrator', 'workload', 'endpoint'];
  }
}

function fieldError(field: IdField, value: string | undefined, reason: string): ValidationError {
  return new ValidationError([{ field: `spec.${field}`, value, reason }]);
}

function escapeSegment(field: IdField, value: string): string {
  if (value.startsWith('-')) throw fieldError(field, value, "field must not begin with a '-'");
  if (value.endsWith('-')) throw fieldError(field, value, "field must not end with a '-'");
  return value.replaceAll('-', '--');
}

function build(ids: WorkloadEndpointIdentifiers, allowPrefix: boolean): string {
  if (!ids.node) throw fieldError('node', ids.node, 'field should be assigned');
  const parts: string[] = [];
  for (const field of segmentFields(ids.orchestrator)) {
    const value = ids[field];
    if (!value) {
      if (!allowPrefix) throw fieldError(field, value, 'field should be assigned');
      return parts.join('-') + '-';
    }
    parts.push(escapeSegment(field, value));
  }
  return parts.join('-');
}

/**
 * The name a WorkloadEndpoint with these identifiers must have, e.g. node `node-1`, orchestrator
 * `k8s`, pod `web-0`, endpoint `eth0` → `node--1-k8s-web--0-eth0`. Throws a ValidationError naming
 * the spec field that is missing or starts/ends with a dash.
 */
export function workloadEndpointName(ids: WorkloadEndpointIdentifiers): string {
  return build(ids, false);
}

/** Like workloadEndpointName but undefined instead of throwing. */
export function tryWorkloadEndpointName(ids: WorkloadEndpointIdentifiers): string | undefined {
  try {
    return build(ids, false);
  } catch {
    return undefined;
  }
}

/**
 * The name, or a prefix ending in `-` up to the first missing segment: used to list endpoints by
 * node/orchestrator/workload. A prefix match can over-select (pod `web` also matches `web--0`), so
 * filter results with workloadEndpointNameMatches.
 */
export function workloadEndpointNamePrefix(ids: WorkloadEndpointIdentifiers): string {
  return build(ids, true);
}

/** Splits a name on single dashes and un-escapes `--` inside each segment. */
export function splitWorkloadEndpointName(name: string): string[] {
  const parts: string[] = [];
  let start = 0;
  // A leading dash can never be a separator, hence i starts at 1.
  for (let i = 1; i < name.length; i++) {
    if (name[i] !== '-') continue;
    if (name[i + 1] === '-') {
      i++; // an escaped dash
      continue;
    }
    parts.push(name.slice(start, i).replaceAll('--', '-'));
    start = i + 1;
  }
  parts.push(name.slice(start).replaceAll('--', '-'));
  return parts;
}

/**
 * Recovers the identifiers from a name. Segments beyond the node and orchestrator may be absent
 * (a prefix); more than four segments is an error.
 */
export function parseWorkloadEndpointName(name: string): WorkloadEndpointIdentifiers {
  if (name === '') throw new Error('Cannot parse empty string');
  const parts = splitWorkloadEndpointName(name);
  const ids: WorkloadEndpointIdentifiers = { node: parts[0] };
  if (parts.length < 2) return ids;
  ids.orchestrator = parts[1];
  const rest = segmentFields(parts[1]).slice(2);
  if (parts.length - 2 > rest.length) {
    throw new Error(`Error parsing ${name}, verify that WorkloadEndpoint name is correct`);
  }
  parts.slice(2).forEach((part, i) => {
    ids[rest[i]] = part;
  });
  return ids;
}

/** True when every identifier that is set agrees with the corresponding segment of `name`. */
export function workloadEndpointNameMatches(ids: WorkloadEndpointIdentifiers, name: string): boolean {
  if (!ids.node) return false;
  const fields = segmentFields(ids.orchestrator);
  const parts = splitWorkloadEndpointName(name);
  if (parts.length !== fields.length) return false;
  return fields.every((f, i) => !ids[f] || ids[f] === parts[i]);
}
