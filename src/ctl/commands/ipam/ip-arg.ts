import { formatIP, tryParseIP } from '../../../net/index.js';
import { CommandError } from '../../io.js';

/** A bare IPv4/IPv6 address in canonical form, or calicoctl's refusal (before any datastore access). */
export function ipArgument(text: string): string {
  const ip = tryParseIP(text);
  if (!ip) throw new CommandError(`Error executing command: invalid IP address specified: ${text}`);
  return formatIP(ip);
}
