import { CalicoError } from '../errors/index.js';

/** What kind of text failed to parse; used as the noun in messages. */
export type AddressKind = 'IP address' | 'CIDR' | 'MAC address' | 'IPAM block key segment';

const MAX_SHOWN = 80;

/** Quote the input so whitespace and control characters are visible; cap its length. */
function show(input: unknown): string {
  if (typeof input !== 'string') return `${typeof input} ${String(input)}`;
  const s = input.length > MAX_SHOWN ? `${input.slice(0, MAX_SHOWN)}…` : input;
  return JSON.stringify(s);
}

/**
 * A string that is not a valid IP address, CIDR, MAC or key segment. The message names the text,
 * says what was wrong with it and what form is expected.
 */
export class InvalidAddressError extends CalicoError {
  constructor(
    readonly kind: AddressKind,
    readonly input: string,
    readonly reason: string,
    readonly expected: string,
  ) {
    super('VALIDATION', `invalid ${kind} ${show(input)}: ${reason}; expected ${expected}`, `use ${expected}`);
    this.name = 'InvalidAddressError';
  }
}
