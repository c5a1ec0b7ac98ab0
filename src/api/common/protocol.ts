/**
 * numorstring Protocol: one of the names below (matched case-insensitively, stored in this
 * spelling) or an IP protocol number 1-255. A numeric string ("6") is a number.
 */

export const PROTOCOL_NAMES = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** A normalised protocol: a canonical name or a number. */
export type Protocol = ProtocolName | number;

/** IANA numbers of the named protocols. */
export const PROTOCOL_NUMBERS: Readonly<Record<ProtocolName, number>> = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
};

const BY_LOWER = new Map<string, ProtocolName>(PROTOCOL_NAMES.map((n) => [n.toLowerCase(), n]));

export const PROTOCOL_NUMBER_INVALID = 'protocol number invalid';
export const PROTOCOL_NAME_INVALID = 'protocol name invalid';

export class ProtocolParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolParseError';
  }
}

/** Parses a JSON value into a Protocol; throws ProtocolParseError with Calico's reason. */
export function parseProtocol(value: unknown): Protocol {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 255) {
      throw new ProtocolParseError(PROTOCOL_NUMBER_INVALID);
    }
    return value;
  }
  if (typeof value !== 'string') throw new ProtocolParseError(PROTOCOL_NAME_INVALID);
  // A decimal string that fits in a byte is a number (Calico's Uint8OrString); larger ones are names.
  if (/^\d+$/.test(value) && Number(value) <= 255) return parseProtocol(Number(value));
  const name = BY_LOWER.get(value.toLowerCase());
  if (name === undefined) throw new ProtocolParseError(PROTOCOL_NAME_INVALID);
  return name;
}

export function tryParseProtocol(value: unknown): Protocol | undefined {
  try {
    return parseProtocol(value);
  } catch {
    return undefined;
  }
}

/** The reason a JSON value is not a valid Protocol, if any. */
export function protocolProblem(value: unknown): string | undefined {
  try {
    parseProtocol(value);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Canonical stored form ("tcp" → "TCP", "6" → 6); invalid values are returned unchanged. */
export function normaliseProtocol(value: string | number): string | number {
  const p = tryParseProtocol(value);
  return p === undefined ? value : p;
}

/** The IP protocol number of a valid Protocol value. */
export function protocolNumber(value: unknown): number | undefined {
  const p = tryParseProtocol(value);
  if (p === undefined) return undefined;
  return typeof p === 'number' ? p : PROTOCOL_NUMBERS[p];
}

/** TCP, UDP and SCTP (6, 17, 132) carry ports. */
export function supportsPorts(value: unknown): boolean {
  const n = protocolNumber(value);
  return n === 6 || n === 17 || n === 132;
}

export function isICMPv4(value: unknown): boolean {
  return protocolNumber(value) === 1;
}

export function isICMPv6(value: unknown): boolean {
  return protocolNumber(value) === 58;
}
