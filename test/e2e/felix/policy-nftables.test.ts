/** The policy backend conformance suite against the nftables backend (namespaces `pnf-…`). */
import { NftPolicyBackend } from '../../../src/felix/dataplane/policy/nft-backend.js';
import { policyBackendConformance } from '../../helpers/policy-conformance.js';

policyBackendConformance('nftables', (runner) => new NftPolicyBackend({ runner }), { netnsPrefix: 'pnf-' });
