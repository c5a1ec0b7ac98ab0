/**
 * Kubernetes label and annotation rules, which Calico applies to metadata: keys are qualified
 * names (`[prefix/]name`), label values are short names, annotations are bounded in total size.
 */
import type { Checker } from '../check.js';
import { DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_RE } from './names.js';

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const NAME_PART_MAX = 63;
export const LABEL_VALUE_MAX = 63;
/** Total bytes of all annotation keys and values. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

const NAME_CHARS =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Why `key` is not a qualified name (`example.com/my-name` or `my-name`); empty when valid. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  let name: string;
  const problems: string[] = [];
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else if (prefix.length > DNS1123_SUBDOMAIN_MAX)
      problems.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
    else if (!DNS1123_SUBDOMAIN_RE.test(prefix))
      problems.push('prefix part must be a lower case DNS-1123 subdomain (e.g. example.com)');
  } else {
    return [
      "a qualified name is an optional DNS subdomain prefix and '/' followed by a name (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > NAME_PART_MAX)
    problems.push(`name part must be no more than ${NAME_PART_MAX} characters`);
  else if (!NAME_PART.test(name)) problems.push(`name part ${NAME_CHARS}`);
  return problems;
}

/** Why `value` is not a label value (empty is allowed); empty when valid. */
export function labelValueProblems(value: string): string[] {
  if (value === '') return [];
  if (value.length > LABEL_VALUE_MAX) return [`must be no more than ${LABEL_VALUE_MAX} characters`];
  if (!NAME_PART.test(value)) return [`a label value must be empty or ${NAME_CHARS.replace('must ', '')}`];
  return [];
}

/** `base.key` when key is a plain identifier, else `base["key"]` so dots and slashes stay readable. */
export function mapKeyPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

export function checkLabels(c: Checker, path: string, labels: Record<string, string> | undefined): void {
  if (!labels) return;
  for (const [k, v] of Object.entries(labels)) {
    for (const p of qualifiedNameProblems(k)) c.fail(mapKeyPath(path, k), k, `invalid label key: ${p}`);
    if (typeof v !== 'string') {
      c.fail(mapKeyPath(path, k), v, 'label values must be strings');
      continue;
    }
    for (const p of labelValueProblems(v)) c.fail(mapKeyPath(path, k), v, `invalid label value: ${p}`);
  }
}

export function checkAnnotations(
  c: Checker,
  path: string,
  annotations: Record<string, string> | undefined,
): void {
  if (!annotations) return;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Calico checks annotation keys lower-cased: upper case is tolerated in the name part.
    for (const p of qualifiedNameProblems(k.toLowerCase()))
      c.fail(mapKeyPath(path, k), k, `invalid annotation key: ${p}`);
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > ANNOTATIONS_MAX_BYTES) {
    c.fail(
      path,
      undefined,
      `total size of annotations is too large by ${total - ANNOTATIONS_MAX_BYTES} bytes`,
    );
  }
}
