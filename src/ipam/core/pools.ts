/**
 * Pool selection (ipam.md §3), pure: which IPPools a request may use, given the pools, the node's
 * labels and the namespace's labels.
 */
import type { Resource } from '../../api/index.js';
import {
  cidrContainsIP,
  formatCIDR,
  maskCIDR,
  tryParseCIDR,
  type CIDR,
  type IPAddr,
} from '../../net/index.js';
import { parseSelector, type Selector } from '../../selector/index.js';
import { IPAMError } from '../errors.js';
import type { IntendedUse } from '../ipam-interface.js';

export interface PoolInfo {
  name: string;
  /** Spec text as stored (Calico reports this in messages). */
  cidrText: string;
  cidr: CIDR;
  blockSize: number;
  nodeSelector: string;
  namespaceSelector: string;
  allowedUses: string[];
  assignmentMode: string;
  disabled: boolean;
  /** metadata.deletionTimestamp set, or status condition Allocatable=False. */
  unavailable: boolean;
}

interface PoolSpecView {
  cidr?: string;
  blockSize?: number;
  nodeSelector?: string;
  namespaceSelector?: string;
  allowedUses?: string[];
  assignmentMode?: string;
  disabled?: boolean;
}

/** Undefined for a pool whose CIDR does not parse (Calico skips those). */
export function poolInfo(r: Resource): PoolInfo | undefined {
  const spec = (r.spec ?? {}) as PoolSpecView;
  const parsed = typeof spec.cidr === 'string' ? tryParseCIDR(spec.cidr) : undefined;
  if (!parsed) return undefined;
  const cidr = maskCIDR(parsed);
  const conditions = (r.status?.conditions ?? []) as { type?: string; status?: string }[];
  const notAllocatable = Array.isArray(conditions)
    ? conditions.some((c) => c?.type === 'Allocatable' && c?.status === 'False')
    : false;
  return {
    name: r.metadata.name ?? '',
    cidrText: spec.cidr!,
    cidr,
    blockSize: spec.blockSize || (cidr.family === 4 ? 26 : 122),
    nodeSelector: spec.nodeSelector ?? '',
    namespaceSelector: spec.namespaceSelector ?? '',
    allowedUses: spec.allowedUses?.length ? spec.allowedUses : ['Workload', 'Tunnel'],
    assignmentMode: spec.assignmentMode || 'Automatic',
    disabled: spec.disabled === true,
    unavailable: !!r.metadata.deletionTimestamp || notAllocatable,
  };
}

const selectors = new Map<string, Selector>();

function selector(text: string): Selector {
  let s = selectors.get(text);
  if (!s) {
    s = parseSelector(text);
    if (selectors.size > 1000) selectors.clear();
    selectors.set(text, s);
  }
  return s;
}

/** Calico's SelectsNode/SelectsNamespace: an empty selector matches everything. */
export function selects(selectorText: string, labels: Record<string, string>): boolean {
  return selectorText === '' || selector(selectorText).evaluate(labels);
}

/** Pools IPAM may allocate from in this family: not disabled, not being deleted, allocatable. */
export function enabledPools(pools: readonly PoolInfo[], family: 4 | 6, maxPrefixLen?: number): PoolInfo[] {
  return pools.filter(
    (p) =>
      p.cidr.family === family &&
      !p.disabled &&
      !p.unavailable &&
      (maxPrefixLen === undefined || p.blockSize <= maxPrefixLen),
  );
}

export interface PoolChoice {
  /** Pools that select this node (and namespace) — or the requested pools. */
  selecting: PoolInfo[];
  /** The subset allowed for the intended use: where AutoAssign may allocate. */
  allowed: PoolInfo[];
}

export interface PoolChoiceInput {
  enabled: readonly PoolInfo[];
  /** CIDRs the caller asked for (must each equal an enabled pool's CIDR). */
  requested: readonly CIDR[];
  nodeLabels: Record<string, string>;
  namespaceLabels: Record<string, string>;
  host: string;
  use: IntendedUse;
}

/** determinePools + filterPoolsByUse, with Calico's messages. */
export function choosePools(input: PoolChoiceInput): PoolChoice {
  if (input.enabled.length === 0) {
    throw new IPAMError('noQualifiedPool', 'cannot find a qualified ippool');
  }
  let selecting: PoolInfo[];
  if (input.requested.length) {
    selecting = input.requested.map((rc) => {
      const want = maskCIDR(rc);
      const p = input.enabled.find(
        (e) => e.cidr.family === want.family && e.cidr.prefix === want.prefix && e.cidr.addr === want.addr,
      );
      if (!p) {
        throw new IPAMError(
          'poolNotEnabled',
          `the given pool (${formatCIDR(want)}) does not exist, or is not enabled`,
        );
      }
      return p;
    });
  } else {
    selecting = input.enabled.filter(
      (p) =>
        p.assignmentMode === 'Automatic' &&
        selects(p.nodeSelector, input.nodeLabels) &&
        selects(p.namespaceSelector, input.namespaceLabels),
    );
  }
  if (selecting.length === 0) {
    throw new IPAMError('noPoolsForNode', `no configured Calico pools for node ${input.host}`);
  }
  const allowed = selecting.filter((p) => p.allowedUses.includes(input.use));
  if (allowed.length === 0) {
    throw new IPAMError(
      'noQualifiedPool',
      `cannot find a qualified ippool, no pools match the required use (${input.use})`,
    );
  }
  return { selecting, allowed };
}

export function poolContaining(pools: readonly PoolInfo[], ip: IPAddr): PoolInfo | undefined {
  return pools.find((p) => cidrContainsIP(p.cidr, ip));
}
