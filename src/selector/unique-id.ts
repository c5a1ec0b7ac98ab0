import { createHash } from 'node:crypto';

/** Calico's hash.MakeUniqueID: `<prefix>:` + unpadded base64url of SHA-224(`<prefix>:<content>`). */
export function makeUniqueId(prefix: string, content: string): string {
  const digest = createHash('sha224').update(`${prefix}:${content}`, 'utf8').digest('base64url');
  return `${prefix}:${digest}`;
}
