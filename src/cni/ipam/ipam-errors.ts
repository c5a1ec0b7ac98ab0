/** IPAM failures as CNI errors, each saying what to do about it. */
import { CalicoError } from '../../errors/index.js';
import { CniCode, CniError, toCniError } from '../cni-error.js';

const NO_POOL_HINT =
  'create an enabled IPPool this node and workload may use (calicoctl create -f ippool.yaml), ' +
  'or fix "ipv4_pools" / "ipv6_pools" in the network configuration';

const EXHAUSTED_HINT =
  'the IP pools this workload may use have no free addresses: add an IPPool or widen "ipv4_pools" / ' +
  '"ipv6_pools", delete unused workloads, or look for leaked addresses with "calicoctl ipam check"';

/** IPAMError reasons (src/ipam/errors.ts) grouped by what the operator has to do. */
const NO_POOL = new Set([
  'useRequired',
  'noQualifiedPool',
  'poolNotEnabled',
  'noPoolsForNode',
  'wrongFamily',
  'notInPool',
  'notAllowedUse',
]);
const EXHAUSTED = new Set(['blockLimit', 'noFreeBlocks', 'autoAllocateDisabled']);

export function noPoolError(msg: string): CniError {
  return new CniError(CniCode.NO_POOL, msg, NO_POOL_HINT);
}

export function exhaustedError(msg: string): CniError {
  return new CniError(CniCode.IPAM_EXHAUSTED, msg, EXHAUSTED_HINT);
}

export function ipamCniError(e: unknown, context: string): CniError {
  if (e instanceof CniError) return e;
  const reason = e instanceof CalicoError ? (e as CalicoError & { reason?: string }).reason : undefined;
  const msg = `${context}: ${e instanceof Error ? e.message : String(e)}`;
  if (reason && NO_POOL.has(reason)) return noPoolError(msg);
  if (reason && EXHAUSTED.has(reason)) return exhaustedError(msg);
  if (reason === 'maxRetries') {
    return new CniError(CniCode.TRY_AGAIN_LATER, msg, 'too many concurrent IPAM requests; retry');
  }
  if (reason === 'alreadyAssigned') {
    return new CniError(
      CniCode.CALICO,
      msg,
      'the requested address is in use by another workload; pick a free address or release it (calicoctl ipam release)',
    );
  }
  if (e instanceof CalicoError && e.code === 'NOT_FOUND' && /Node\(/.test(e.message)) {
    return new CniError(
      CniCode.CALICO,
      msg,
      'this node has no Node resource: start calico-node on this host (it registers the node), or check "nodename" in the network configuration',
    );
  }
  // Messages of pool selection in Calico's words, when the error carries no reason.
  if (
    /cannot find a qualified ippool|does not exist, or is not enabled|no configured Calico pools|not in a configured pool/i.test(
      msg,
    )
  ) {
    return noPoolError(msg);
  }
  return toCniError(e, context);
}
