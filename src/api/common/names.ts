/**
 * Name rules shared by resource metadata and name-valued spec fields (Kubernetes DNS-1123 forms,
 * as Calico uses them).
 */

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** A DNS-1123 label: lower-case alphanumerics and '-', alphanumeric at both ends. */
export const DNS1123_LABEL_FMT = LABEL;
/** Dot-separated DNS-1123 labels. */
export const DNS1123_SUBDOMAIN_FMT = `${LABEL}(\\.${LABEL})*`;
export const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
export const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

export function isDNS1123Label(s: string): boolean {
  return s.length <= DNS1123_LABEL_MAX && DNS1123_LABEL_RE.test(s);
}

export function isDNS1123Subdomain(s: string): boolean {
  return s.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN_RE.test(s);
}

export const SUBDOMAIN_NAME_REASON = `name must consist of lower case alphanumeric characters, '-' or '.' (regex: ${DNS1123_SUBDOMAIN_FMT})`;
export const LABEL_NAME_REASON = `name must consist of lower case alphanumeric characters or '-' (regex: ${DNS1123_LABEL_FMT})`;

export function tooLongReason(name: string, max: number): string {
  return `name is too long by ${name.length - max} bytes`;
}

/** The default metadata.name rule: a DNS-1123 subdomain of at most 253 characters. */
export function subdomainNameProblem(name: string): string | undefined {
  if (name.length > DNS1123_SUBDOMAIN_MAX) return tooLongReason(name, DNS1123_SUBDOMAIN_MAX);
  if (!DNS1123_SUBDOMAIN_RE.test(name)) return SUBDOMAIN_NAME_REASON;
  return undefined;
}

/** A single DNS-1123 label of at most 63 characters (no dots), e.g. Tier names. */
export function labelNameProblem(name: string): string | undefined {
  if (name.length > DNS1123_LABEL_MAX) return tooLongReason(name, DNS1123_LABEL_MAX);
  if (!DNS1123_LABEL_RE.test(name)) return LABEL_NAME_REASON;
  return undefined;
}

/** Names of singletons such as ClusterInformation: only `default` is allowed. */
export function onlyDefaultName(what: string): (name: string) => string | undefined {
  return (name) =>
    name === 'default' ? undefined : `Cannot create ${what} resource with a name other than "default"`;
}

/** Linux interface names as Calico accepts them (at most 15 characters). */
export const INTERFACE_NAME_RE = /^[a-zA-Z0-9_.-]{1,15}$/;

export function isInterfaceName(s: string, allowWildcard = false): boolean {
  return (allowWildcard && s === '*') || INTERFACE_NAME_RE.test(s);
}
