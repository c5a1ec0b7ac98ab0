/**
 * IP_AUTODETECTION_METHOD / IP6_AUTODETECTION_METHOD: the parsed form, and the parser that turns a
 * bad value into an error naming the variable, the value and what is accepted.
 */
import { formatCIDR, tryParseCIDR, tryParseIP, type CIDR, type IPFamily } from '../../../net/index.js';
import { CalicoError } from '../../../errors/index.js';

/** Interface-name regexes; matched unanchored, as Go's regexp.MatchString does. */
export interface NamePattern {
  source: string;
  re: RegExp;
}

export type AutodetectMethod =
  | { kind: 'first-found' }
  | { kind: 'interface'; patterns: NamePattern[] }
  | { kind: 'skip-interface'; patterns: NamePattern[] }
  | { kind: 'can-reach'; destination: string }
  | { kind: 'cidr'; cidrs: CIDR[] };

export const METHODS_ACCEPTED =
  'first-found, interface=<regex>[,<regex>...], skip-interface=<regex>[,<regex>...], can-reach=<IP or hostname>, cidr=<CIDR>[,<CIDR>...]';

/** Thrown for a bad environment variable: says which variable, its value and what it may be. */
export class EnvConfigError extends CalicoError {
  constructor(
    readonly variable: string,
    readonly value: string,
    accepted: string,
    hint?: string,
  ) {
    super('CONFIG', `invalid ${variable}=${JSON.stringify(value)}: expected ${accepted}`, hint);
    this.name = 'EnvConfigError';
  }
}

/** Splits a comma list the way Calico does: commas with optional spaces around them. */
function splitList(text: string): string[] {
  return text
    .split(/\s*,\s*/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function patterns(variable: string, value: string, list: string): NamePattern[] {
  const items = splitList(list);
  if (items.length === 0) {
    throw new EnvConfigError(variable, value, 'at least one interface-name regex after the "="');
  }
  return items.map((source) => {
    try {
      return { source, re: new RegExp(source) };
    } catch (e) {
      throw new EnvConfigError(
        variable,
        value,
        `valid regular expressions (${JSON.stringify(source)}: ${(e as Error).message})`,
      );
    }
  });
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** The method named by `value` (empty means first-found); `family` decides which CIDRs fit. */
export function parseAutodetectMethod(variable: string, value: string, family: IPFamily): AutodetectMethod {
  const v = value.trim();
  if (v === '' || v === 'first-found') return { kind: 'first-found' };
  if (v.startsWith('interface='))
    return { kind: 'interface', patterns: patterns(variable, value, v.slice(10)) };
  if (v.startsWith('skip-interface=')) {
    return { kind: 'skip-interface', patterns: patterns(variable, value, v.slice(15)) };
  }
  if (v.startsWith('can-reach=')) {
    const destination = v.slice(10).trim();
    const ip = tryParseIP(destination);
    if (ip) {
      if (ip.family !== family) {
        throw new EnvConfigError(variable, value, `an IPv${family} destination for an IPv${family} method`);
      }
      return { kind: 'can-reach', destination };
    }
    if (!HOSTNAME_RE.test(destination)) {
      throw new EnvConfigError(variable, value, 'can-reach=<IP address or DNS name>');
    }
    return { kind: 'can-reach', destination };
  }
  if (v.startsWith('cidr=')) {
    const items = splitList(v.slice(5));
    if (items.length === 0) throw new EnvConfigError(variable, value, 'at least one CIDR after "cidr="');
    const cidrs = items.map((text) => {
      const c = tryParseCIDR(text);
      if (!c)
        throw new EnvConfigError(
          variable,
          value,
          `CIDRs like 10.0.0.0/8 (${JSON.stringify(text)} is not one)`,
        );
      if (c.family !== family) {
        throw new EnvConfigError(variable, value, `IPv${family} CIDRs (${formatCIDR(c)} is IPv${c.family})`);
      }
      return c;
    });
    return { kind: 'cidr', cidrs };
  }
  if (v === 'kubernetes-internal-ip') {
    throw new CalicoError(
      'CONFIG',
      `${variable}=kubernetes-internal-ip is not supported: calico-ts reads no Kubernetes Node objects`,
      `use can-reach=<API server address>, interface=<regex> or cidr=<CIDR> instead, or set ${variable === 'IP6_AUTODETECTION_METHOD' ? 'IP6' : 'IP'} explicitly`,
    );
  }
  throw new EnvConfigError(
    variable,
    value,
    `one of ${METHODS_ACCEPTED}`,
    `Invalid IP autodetection method: ${value}`,
  );
}

/** The method as the user wrote it (for log lines). */
export function describeMethod(m: AutodetectMethod): string {
  switch (m.kind) {
    case 'first-found':
      return 'first-found';
    case 'interface':
    case 'skip-interface':
      return `${m.kind}=${m.patterns.map((p) => p.source).join(',')}`;
    case 'can-reach':
      return `can-reach=${m.destination}`;
    case 'cidr':
      return `cidr=${m.cidrs.map(formatCIDR).join(',')}`;
  }
}
