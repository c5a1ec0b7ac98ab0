/**
 * The effects autodetection needs, through iproute2's JSON output: the interface list
 * (`ip -j addr show`) and the kernel's route lookup (`ip -j route get`). Both run in the current
 * network namespace, or in a named one (`ip -n NAME`) so tests never touch the host's.
 */
import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { CalicoError } from '../../../errors/index.js';
import { tryParseIP, type IPFamily } from '../../../net/index.js';
import type { Iface } from './iface.js';

export interface IpCommandOptions {
  /** A network namespace name under /run/netns (`ip -n NAME`). */
  netns?: string;
  /** Path of the `ip` binary (default: found on PATH). */
  ipBinary?: string;
  timeoutMs?: number;
}

const NETNS_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

function run(
  args: string[],
  opts: IpCommandOptions,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const full = [...(opts.netns !== undefined ? ['-n', opts.netns] : []), ...args];
  if (opts.netns !== undefined && !NETNS_NAME_RE.test(opts.netns)) {
    return Promise.reject(
      new CalicoError('USAGE', `invalid network namespace name ${JSON.stringify(opts.netns)}`),
    );
  }
  return new Promise((resolve, reject) => {
    execFile(
      opts.ipBinary ?? 'ip',
      full,
      { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new CalicoError('CONFIG', `could not run ip ${full.join(' ')}: ${err.message}`));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

/** `ip -j addr show`: every interface with its addresses. */
export async function readInterfaces(opts: IpCommandOptions = {}): Promise<Iface[]> {
  const r = await run(['-j', 'addr', 'show'], opts);
  if (r.code !== 0) {
    throw new CalicoError(
      'CONFIG',
      `ip -j addr show failed (exit ${r.code}): ${r.stderr.trim()}`,
      'calico-node needs iproute2 and access to the network namespace it runs in',
    );
  }
  const parsed: unknown = JSON.parse(r.stdout || '[]');
  if (!Array.isArray(parsed)) throw new CalicoError('CONFIG', 'ip -j addr show did not print a JSON array');
  return parsed.filter(
    (i): i is Iface =>
      typeof i === 'object' && i !== null && typeof i.ifname === 'string' && typeof i.ifindex === 'number',
  );
}

/**
 * The source address for traffic to `destination` (`ip -j route get`; names resolved first, in the
 * requested family). Undefined when the name does not resolve or there is no route.
 */
export async function routeGet(
  destination: string,
  family: IPFamily,
  opts: IpCommandOptions = {},
): Promise<string | undefined> {
  let ip = tryParseIP(destination) ? destination : undefined;
  if (!ip) {
    try {
      ip = (await lookup(destination, { family })).address;
    } catch {
      return undefined;
    }
  }
  const r = await run([`-${family}`, '-j', 'route', 'get', ip], opts);
  if (r.code !== 0) return undefined;
  const parsed: unknown = JSON.parse(r.stdout || '[]');
  const first = Array.isArray(parsed) ? (parsed[0] as { prefsrc?: unknown } | undefined) : undefined;
  return typeof first?.prefsrc === 'string' ? first.prefsrc : undefined;
}
