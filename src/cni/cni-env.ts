/** The CNI_* environment of one call, checked as the CNI specification requires per command. */
import { CniCode, CniError } from './cni-error.js';
import type { CniCommand } from './types.js';

export interface CniEnv {
  containerId: string;
  /** Empty for DEL of a sandbox that is already gone (and for GC/STATUS). */
  netns: string;
  ifname: string;
  cniPath: string;
  /** CNI_ARGS as key/value pairs (IgnoreUnknown is implied, as Calico prepends it). */
  args: Map<string, string>;
}

// The CNI specification's rules for container ids and interface names.
const CONTAINER_ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function missing(names: string[]): CniError {
  return new CniError(
    CniCode.INVALID_ENV,
    `required env variables [${names.join(',')}] missing`,
    'the container runtime sets CNI_* variables; run the plugin through a CNI runtime such as podman, containerd or cnitool',
  );
}

export function parseCniArgs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new CniError(
        CniCode.INVALID_ENV,
        `ARGS: invalid pair "${pair}"`,
        'CNI_ARGS must be KEY=VALUE pairs separated by ";"',
      );
    }
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

export function checkIfName(name: string): void {
  let why: string | undefined;
  if (name === '') why = 'it is empty';
  else if (name.length > 15) why = 'it is longer than 15 characters';
  else if (name === '.' || name === '..') why = 'it is "." or ".."';
  else if (/[/:\s]/.test(name)) why = 'it contains "/", ":" or whitespace';
  if (why) {
    throw new CniError(
      CniCode.INVALID_ENV,
      `invalid CNI_IFNAME "${name}": ${why}`,
      'use a Linux interface name such as eth0',
    );
  }
}

/** Reads and checks the variables `command` needs. */
export function parseCniEnv(command: CniCommand, env: Record<string, string>): CniEnv {
  const get = (k: string): string => env[k] ?? '';
  const needs: Record<CniCommand, string[]> = {
    ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
    CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
    DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
    GC: ['CNI_PATH'],
    STATUS: ['CNI_PATH'],
    VERSION: [],
  };
  const absent = needs[command].filter((k) => get(k) === '');
  if (absent.length) throw missing(absent);
  const containerId = get('CNI_CONTAINERID');
  if (containerId && !CONTAINER_ID_RE.test(containerId)) {
    throw new CniError(
      CniCode.INVALID_ENV,
      `invalid characters in containerID "${containerId}"`,
      'container ids start with a letter or digit followed by letters, digits and _.-',
    );
  }
  const ifname = get('CNI_IFNAME');
  if (command === 'ADD' || command === 'CHECK' || command === 'DEL') checkIfName(ifname);
  return {
    containerId,
    netns: get('CNI_NETNS'),
    ifname,
    cniPath: get('CNI_PATH'),
    args: parseCniArgs(get('CNI_ARGS')),
  };
}
