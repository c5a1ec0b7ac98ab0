/**
 * runCni: one CNI call in, one response out. No process-global state: the environment and stdin
 * come in the request, datastore clients and the kernel through `deps`, and the answer goes back
 * as data (the bins print it; an agent sends it over its socket).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCniEnv } from './cni-env.js';
import { CniCode, CniError, errorJSON, toCniError } from './cni-error.js';
import type { PluginContext } from './context.js';
import { resolveNodename, workloadIdentity } from './identity.js';
import { CniLogger } from './logger.js';
import { decodeStdin, parseNetConf } from './netconf.js';
import { cmdAdd } from './plugin/add.js';
import { cmdCheck } from './plugin/check.js';
import { cmdDel } from './plugin/del.js';
import { cmdGC } from './plugin/gc.js';
import { ipamCmdAdd, ipamCmdCheck, ipamCmdDel } from './plugin/ipam-plugin.js';
import { cmdStatus } from './plugin/status.js';
import type { CniCommand, CniDeps, CniRequest, CniResponse } from './types.js';
import { atLeast, SUPPORTED_VERSIONS, versionInfo } from './versions.js';

export const CNI_COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];

type Handler = (ctx: PluginContext) => Promise<string>;

const HANDLERS: Record<CniRequest['plugin'], Record<Exclude<CniCommand, 'VERSION'>, Handler>> = {
  calico: { ADD: cmdAdd, DEL: cmdDel, CHECK: cmdCheck, GC: cmdGC, STATUS: cmdStatus },
  'calico-ipam': { ADD: ipamCmdAdd, DEL: ipamCmdDel, CHECK: ipamCmdCheck, GC: cmdGC, STATUS: cmdStatus },
};

/** The cniVersion to stamp on an error: the config's when we speak it. */
function errorVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    if (typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v)) return v;
  } catch {
    // not JSON: fall through
  }
  return '1.0.0';
}

function peekVersion(stdin: string): unknown {
  try {
    return (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
  } catch {
    return undefined;
  }
}

function checkCommandVersion(command: CniCommand, version: string): void {
  const min = command === 'CHECK' ? '0.4.0' : command === 'GC' || command === 'STATUS' ? '1.1.0' : undefined;
  if (min && !atLeast(version, min)) {
    throw new CniError(
      CniCode.INCOMPATIBLE_VERSION,
      `config version does not allow ${command}`,
      `${command} needs cniVersion ${min} or later (the config says ${version})`,
    );
  }
}

export async function runCni(req: CniRequest, deps: CniDeps): Promise<CniResponse> {
  const now = deps.now?.() ?? new Date();
  const log = new CniLogger('info', deps.now);
  let logFile: string | undefined;
  const respond = (stdout: string, exitCode: number): CniResponse => {
    const stderr = log.text();
    if (logFile && stderr) {
      try {
        mkdirSync(dirname(logFile), { recursive: true });
        appendFileSync(logFile, stderr);
      } catch {
        // logging must never fail a CNI call
      }
    }
    return { stdout, exitCode, stderr };
  };
  try {
    if (req.command === 'VERSION') return respond(versionInfo(peekVersion(req.stdin)), 0);
    if (!req.command) {
      throw new CniError(
        CniCode.INVALID_ENV,
        'required env variables [CNI_COMMAND] missing',
        'the container runtime sets CNI_COMMAND (ADD, DEL, CHECK, VERSION, STATUS or GC)',
      );
    }
    if (!CNI_COMMANDS.includes(req.command)) {
      throw new CniError(
        CniCode.INVALID_ENV,
        `unknown CNI_COMMAND: ${String(req.command)}`,
        `CNI_COMMAND must be one of ${CNI_COMMANDS.join(', ')}`,
      );
    }
    const conf = parseNetConf(decodeStdin(req.stdin), req.env);
    log.setLevel(conf.logLevel);
    logFile = conf.logFilePath;
    checkCommandVersion(req.command, conf.cniVersion);
    const env = parseCniEnv(req.command, req.env);
    const node = resolveNodename(conf, deps);
    const ctx: PluginContext = { req, deps, conf, env, log, now, node };
    if (req.command === 'ADD' || req.command === 'DEL' || req.command === 'CHECK') {
      ctx.ids = workloadIdentity(conf, env, node, req.env);
      log.setContext({
        ContainerID: env.containerId,
        Workload: ctx.ids.wepName,
        Namespace: ctx.ids.orchestrator === 'k8s' ? ctx.ids.namespace : undefined,
      });
    }
    log.debug(`${req.plugin} ${req.command} (cniVersion ${conf.cniVersion})`);
    const t0 = performance.now();
    const stdout = await HANDLERS[req.plugin][req.command](ctx);
    log.debug(`${req.command} done in ${(performance.now() - t0).toFixed(1)} ms`);
    return respond(stdout, 0);
  } catch (e) {
    const ce = toCniError(e);
    log.error(`${req.command || 'CNI call'} failed: ${ce.message}${ce.details ? ` (${ce.details})` : ''}`);
    return respond(errorJSON(ce, errorVersion(req.stdin)), 1);
  }
}
