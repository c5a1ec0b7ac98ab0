// IP addresses and CIDRs on bigint, MACs and interface-name hashing. Pure: no I/O.
export { InvalidAddressError, type AddressKind } from './errors.js';
export { type IPFamily, type IPAddr, parseIP, tryParseIP, formatIP, compareIP, familyBits } from './ip.js';
export {
  type CIDR,
  type ParseCIDROptions,
  parseCIDR,
  tryParseCIDR,
  formatCIDR,
  maskCIDR,
  isStrictlyMasked,
  canonicalCIDR,
  cidrSize,
  cidrFirst,
  cidrLast,
  cidrContainsIP,
  cidrContainsCIDR,
  cidrsOverlap,
  cidrEquals,
  nthAddress,
  addressOffset,
  splitCIDR,
  blockCount,
  blockContaining,
  cidrToKeySegment,
  keySegmentToCIDR,
  isLinkLocal,
} from './cidr.js';
export { parseMAC, formatMAC, vxlanVtepMAC, linkLocalFromMAC } from './mac.js';
export { workloadVethName, containerVethName } from './ifname.js';
