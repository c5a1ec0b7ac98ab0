/**
 * The daemon's own settings (beyond startup's NodeConfig): which components run, the health and
 * metrics servers, log levels. Felix's knobs keep Felix's names (FELIX_HEALTHENABLED, ...).
 *
 * Deliberate difference: Felix's HealthEnabled defaults to false and Calico's manifests turn it on;
 * our daemon serves health by default (FELIX_HEALTHENABLED=false turns it off), since the lab and
 * the exec probes rely on it.
 */
import { EnvConfigError, envBool, type NetworkingBackend } from '../config.js';
import { envLogLevel, type LogLevel } from '../log.js';
import type { Component, NodeMode } from './mode.js';

export interface ServerSettings {
  enabled: boolean;
  /** '' = every interface. */
  host: string;
  port: number;
}

export interface DaemonSettings {
  health: ServerSettings;
  metrics: ServerSettings & { processMetrics: boolean };
  logLevel: LogLevel;
  felixLogLevel: LogLevel;
}

function port(env: NodeJS.ProcessEnv, variable: string, dflt: number): number {
  const raw = env[variable] ?? '';
  if (raw.trim() === '') return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 0 || n > 65535)
    throw new EnvConfigError(variable, raw, 'a TCP port number 0-65535 (0: pick a free one)');
  return n;
}

export function parseDaemonSettings(env: NodeJS.ProcessEnv): DaemonSettings {
  const logLevel = envLogLevel(env, 'CALICO_LOG_LEVEL', 'info');
  return {
    health: {
      enabled: envBool(env, 'FELIX_HEALTHENABLED', true),
      host: env.FELIX_HEALTHHOST ?? 'localhost',
      port: port(env, 'FELIX_HEALTHPORT', 9099),
    },
    metrics: {
      enabled: envBool(env, 'FELIX_PROMETHEUSMETRICSENABLED', false),
      host: env.FELIX_PROMETHEUSMETRICSHOST ?? '',
      port: port(env, 'FELIX_PROMETHEUSMETRICSPORT', 9091),
      processMetrics: envBool(env, 'FELIX_PROMETHEUSPROCESSMETRICSENABLED', true),
    },
    logLevel,
    felixLogLevel: envLogLevel(env, 'FELIX_LOGSEVERITYSCREEN', logLevel),
  };
}

/**
 * The components a run starts. Full run: Felix unless CALICO_DISABLE_FELIX; confd (and BIRD) for
 * the bird backend only (vxlan routes are Felix's; none is policy only); the CNI agent when
 * CALICO_CNI_AGENT_SOCKET is set or asked for.
 */
export function componentsFor(
  mode: Extract<NodeMode, { kind: 'run' }>,
  backend: NetworkingBackend,
  env: NodeJS.ProcessEnv,
  disableFelix: boolean,
): Component[] {
  if (mode.components) return mode.components;
  const out: Component[] = [];
  if (!disableFelix) out.push('felix');
  if (backend === 'bird') out.push('confd');
  if (mode.extra.includes('cniAgent') || (env.CALICO_CNI_AGENT_SOCKET ?? '') !== '') out.push('cniAgent');
  return out;
}
