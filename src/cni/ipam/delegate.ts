/**
 * Non-Calico IPAM plugins (`ipam.type` such as host-local) run as separate processes found on
 * CNI_PATH, with our stdin and environment, as the CNI specification describes delegation.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../cni-error.js';
import { run } from '../dataplane/run.js';
import { parseResult, type CniResult } from '../result.js';
import type { PluginContext } from '../context.js';
import type { PluginExec } from '../types.js';

export function findOnCniPath(name: string, cniPath: string): string | undefined {
  for (const dir of cniPath.split(':')) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

export const execPlugin: PluginExec = async (path, env, stdin) => {
  const r = await run(path, [], { stdin, env, timeoutMs: 120_000 });
  return { stdout: r.stdout, exitCode: r.code, stderr: r.stderr };
};

export async function delegateIpam(
  ctx: PluginContext,
  command: 'ADD' | 'DEL',
): Promise<CniResult | undefined> {
  const type = ctx.conf.ipam.type;
  if (/[/\\]/.test(type) || type === '.' || type === '..') {
    throw new CniError(
      CniCode.INVALID_NETCONF,
      `invalid ipam.type "${type}"`,
      'name an IPAM plugin, e.g. "calico-ipam"',
    );
  }
  const path = (ctx.deps.findPlugin ?? findOnCniPath)(type, ctx.env.cniPath);
  if (!path) {
    throw new CniError(
      CniCode.INVALID_NETCONF,
      `failed to find plugin "${type}" in path [${ctx.env.cniPath.split(':').join(' ')}]`,
      `install the "${type}" IPAM plugin into one of the CNI_PATH directories, or use "ipam": {"type": "calico-ipam"}`,
    );
  }
  const env = { ...ctx.req.env, CNI_COMMAND: command };
  const r = await (ctx.deps.execPlugin ?? execPlugin)(path, env, ctx.req.stdin);
  if (r.exitCode !== 0) {
    let err: { code?: number; msg?: string; details?: string } = {};
    try {
      err = JSON.parse(r.stdout) as typeof err;
    } catch {
      // not a CNI error
    }
    throw new CniError(
      typeof err.code === 'number' ? err.code : CniCode.CALICO,
      `IPAM plugin ${type} ${command} failed: ${err.msg ?? (r.stderr.trim() || `exit status ${r.exitCode}`)}`,
      err.details,
    );
  }
  if (command === 'DEL') return undefined;
  try {
    return parseResult(JSON.parse(r.stdout));
  } catch (e) {
    throw new CniError(
      CniCode.CALICO,
      `IPAM plugin ${type} returned an unreadable result: ${(e as Error).message}`,
    );
  }
}
