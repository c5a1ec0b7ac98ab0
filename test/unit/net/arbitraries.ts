// fast-check generators shared by the net tests.
import fc from 'fast-check';
import type { CIDR, IPAddr } from '../../../src/net/index.js';

export const v4Value = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n });

// Groups biased towards zero so that '::' compression (and its tie rules) is exercised often.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
export const v6Value = fc.oneof(
  fc
    .array(group, { minLength: 8, maxLength: 8 })
    .map((gs) => gs.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  v4Value.map((v) => (0xffffn << 32n) | v), // v4-mapped
);

export const ipv4: fc.Arbitrary<IPAddr> = v4Value.map((value) => ({ family: 4, value }));
export const ipv6: fc.Arbitrary<IPAddr> = v6Value.map((value) => ({ family: 6, value }));
export const anyIP = fc.oneof(ipv4, ipv6);

export const cidr4: fc.Arbitrary<CIDR> = fc
  .tuple(v4Value, fc.integer({ min: 0, max: 32 }))
  .map(([addr, prefix]) => ({ family: 4, addr, prefix }));
export const cidr6: fc.Arbitrary<CIDR> = fc
  .tuple(v6Value, fc.integer({ min: 0, max: 128 }))
  .map(([addr, prefix]) => ({ family: 6, addr, prefix }));
export const anyCIDR = fc.oneof(cidr4, cidr6);
