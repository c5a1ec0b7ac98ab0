/**
 * numorstring Port: a JSON number (`80`), a numeric string (`"80"`), a range string
 * (`"1000:2000"`) or a named port (`"http"`). Parsed into one shape that Felix can compile.
 */

/** A numeric range (a single port has minPort === maxPort) or a named port (min = max = 0). */
export interface Port {
  minPort: number;
  maxPort: number;
  /** Non-empty for a named port. */
  portName: string;
}

/** How a Port appears in JSON/YAML. */
export type PortValue = number | string;

const ALL_DIGITS = /^\d+$/;
const RANGE = /^(\d+):(\d+)$/;
const PORT_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const MAX_PORT = 65535;

export const PORT_NUMBER_INVALID = 'port range invalid, port number must be between 1 and 65535';

/** Thrown by parsePort for values that cannot be decoded as a Port at all. */
export class PortParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortParseError';
  }
}

function uint16(text: string): number | undefined {
  const n = Number(text);
  return n <= MAX_PORT ? n : undefined;
}

/** Decodes a JSON value into a Port; throws PortParseError with Calico's decode message. */
export function parsePort(value: unknown): Port {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_PORT) {
      throw new PortParseError(`invalid port number (${value})`);
    }
    return { minPort: value, maxPort: value, portName: '' };
  }
  if (typeof value !== 'string') {
    throw new PortParseError(`port must be a number or a string, not ${JSON.stringify(value)}`);
  }
  if (ALL_DIGITS.test(value)) {
    const n = uint16(value);
    if (n === undefined) throw new PortParseError(`invalid port format (${value})`);
    return { minPort: n, maxPort: n, portName: '' };
  }
  const m = RANGE.exec(value);
  if (m) {
    const min = uint16(m[1]);
    if (min === undefined) throw new PortParseError(`invalid minimum port number in range (${value})`);
    const max = uint16(m[2]);
    if (max === undefined) throw new PortParseError(`invalid maximum port number in range (${value})`);
    if (min > max) {
      throw new PortParseError(
        `minimum port number (${min}) is greater than maximum port number (${max}) in port range`,
      );
    }
    return { minPort: min, maxPort: max, portName: '' };
  }
  if (!PORT_NAME.test(value)) throw new PortParseError(`invalid name for named port (${value})`);
  return { minPort: 0, maxPort: 0, portName: value };
}

export function tryParsePort(value: unknown): Port | undefined {
  try {
    return parsePort(value);
  } catch {
    return undefined;
  }
}

/** Validation of a decoded Port (numbers 1-65535, ordered range, named ports carry no numbers). */
export function validatePort(p: Port): string | undefined {
  if (p.minPort > p.maxPort) return 'port range invalid';
  if (p.portName !== '') {
    if (p.minPort !== 0 || p.maxPort !== 0) {
      return 'named port invalid, if name is specified, min and max should be 0';
    }
    return undefined;
  }
  if (p.minPort < 1 || p.maxPort < 1 || p.maxPort > MAX_PORT) return PORT_NUMBER_INVALID;
  return undefined;
}

/** Decode + validate in one step: the reason a JSON value is not a usable Port, if any. */
export function portProblem(value: unknown): string | undefined {
  try {
    return validatePort(parsePort(value));
  } catch (e) {
    return (e as Error).message;
  }
}

export function isNamedPort(p: Port): boolean {
  return p.portName !== '';
}

/** `http`, `80` or `1000:2000`. */
export function portToString(p: Port): string {
  if (p.portName !== '') return p.portName;
  if (p.minPort === p.maxPort) return String(p.minPort);
  return `${p.minPort}:${p.maxPort}`;
}

/** Calico's JSON form: name → string, single port → number, range → "min:max". */
export function portToJSON(p: Port): PortValue {
  if (p.portName !== '') return p.portName;
  if (p.minPort === p.maxPort) return p.minPort;
  return `${p.minPort}:${p.maxPort}`;
}

/** Re-encodes a port as Calico stores it (`"80"` → `80`); leaves undecodable values untouched. */
export function normalisePort(value: PortValue): PortValue {
  const p = tryParsePort(value);
  return p === undefined ? value : portToJSON(p);
}

/**
 * Endpoint port names are IANA service names (as Kubernetes checks them): at most 15 characters
 * of `a-z`, `0-9` and `-`, at least one letter, no leading, trailing or doubled hyphen.
 */
export function ianaPortNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 15) return 'must be no more than 15 characters';
  if (!/^[-a-z0-9]+$/.test(name)) {
    return 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)';
  }
  if (name.includes('--')) return 'must not contain consecutive hyphens';
  if (!/[a-z]/.test(name)) return 'must contain at least one letter (a-z)';
  if (name.startsWith('-') || name.endsWith('-')) return 'must not begin or end with a hyphen';
  return undefined;
}
