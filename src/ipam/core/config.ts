/**
 * IPAM configuration at /calico/ipam/v2/config: the stored JSON (Calico's key names, Go omitempty),
 * SetIPAMConfig's cross-field rules and the per-host block cap.
 */
import { CalicoError } from '../../errors/index.js';
import { IPAMError } from '../errors.js';
import { DEFAULT_IPAM_CONFIG, type IPAMConfig } from '../model.js';
import { parseJSON, stringifyJSON, type JSONObject } from './json.js';

/** Used when neither the config nor the request sets a limit. */
export const DEFAULT_MAX_BLOCKS_PER_HOST = 20;

/**
 * A present key decodes like Go's struct: absent fields are zero values (false, 0). Only a missing
 * key means "defaults" (see DEFAULT_IPAM_CONFIG). An absent KubeVirt setting means Enabled.
 */
export function decodeIPAMConfig(text: string): IPAMConfig {
  const v = parseJSON(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof v === 'bigint') {
    throw new CalicoError('DECODE', 'invalid IPAM config: not a JSON object');
  }
  const int = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) ? x : 0);
  return {
    strictAffinity: v.strict_affinity === true,
    autoAllocateBlocks: v.auto_allocate_blocks === true,
    maxBlocksPerHost: int(v.maxBlocksPerHost),
    kubeVirtVMAddressPersistence: v.kubeVirtVMAddressPersistence === 'Disabled' ? 'Disabled' : 'Enabled',
    ipCooldownSeconds: int(v.ipCooldownSeconds),
  };
}

export function encodeIPAMConfig(c: IPAMConfig): string {
  const o: JSONObject = {};
  if (c.strictAffinity) o.strict_affinity = true;
  if (c.autoAllocateBlocks) o.auto_allocate_blocks = true;
  if (c.maxBlocksPerHost) o.maxBlocksPerHost = c.maxBlocksPerHost;
  if (c.kubeVirtVMAddressPersistence) o.kubeVirtVMAddressPersistence = c.kubeVirtVMAddressPersistence;
  if (c.ipCooldownSeconds) o.ipCooldownSeconds = c.ipCooldownSeconds;
  return stringifyJSON(o);
}

export function sameIPAMConfig(a: IPAMConfig, b: IPAMConfig): boolean {
  return (
    a.strictAffinity === b.strictAffinity &&
    a.autoAllocateBlocks === b.autoAllocateBlocks &&
    a.maxBlocksPerHost === b.maxBlocksPerHost &&
    a.kubeVirtVMAddressPersistence === b.kubeVirtVMAddressPersistence &&
    a.ipCooldownSeconds === b.ipCooldownSeconds
  );
}

/** SetIPAMConfig's two cross-field rules, plus the ranges the v3 IPAMConfiguration allows. */
export function checkIPAMConfig(c: IPAMConfig): void {
  if (!c.strictAffinity && !c.autoAllocateBlocks) {
    throw new IPAMError(
      'invalidConfig',
      "Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time",
      {
        code: 'VALIDATION',
      },
    );
  }
  if (c.maxBlocksPerHost > 0 && !c.strictAffinity) {
    throw new IPAMError('invalidConfig', 'MaxBlocksPerHost requires StrictAffinity to be enabled', {
      code: 'VALIDATION',
    });
  }
  if (!Number.isInteger(c.maxBlocksPerHost) || c.maxBlocksPerHost < 0) {
    throw new IPAMError('invalidConfig', 'MaxBlocksPerHost must be an integer >= 0', { code: 'VALIDATION' });
  }
  if (!Number.isInteger(c.ipCooldownSeconds) || c.ipCooldownSeconds < 0 || c.ipCooldownSeconds > 1200) {
    throw new IPAMError('invalidConfig', 'IPCooldownSeconds must be an integer between 0 and 1200', {
      code: 'VALIDATION',
    });
  }
}

/**
 * The block cap for one request: the request's limit, tightened by the config's when both are set;
 * the config's when the request sets none; 20 when neither does.
 */
export function effectiveMaxBlocks(requested: number | undefined, configured: number): number {
  let max = requested ?? 0;
  if (configured > 0 && max > 0 && max > configured) max = configured;
  else if (max === 0) max = configured;
  return max === 0 ? DEFAULT_MAX_BLOCKS_PER_HOST : max;
}

export function defaultIPAMConfig(): IPAMConfig {
  return { ...DEFAULT_IPAM_CONFIG };
}
