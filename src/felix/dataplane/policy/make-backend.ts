/** The policy backends by name: nftables (the default) and iptables + ipset. */
import type { PolicyBackend, PolicyBackendName, PolicyBackendOptions } from './backend.js';
import { IptablesPolicyBackend } from './ipt-backend.js';
import { NftPolicyBackend } from './nft-backend.js';

export function makePolicyBackend(name: PolicyBackendName, opts: PolicyBackendOptions): PolicyBackend {
  return name === 'iptables' ? new IptablesPolicyBackend(opts) : new NftPolicyBackend(opts);
}
