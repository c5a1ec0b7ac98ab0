/**
 * Event-driven repair: `ip monitor label link route neigh` in the namespace tells Felix the moment
 * a link, a route or an ARP/FDB entry on its devices changes (FDB entries arrive as bridge-family
 * neighbours), so drift is repaired at once instead of at the next periodic re-read. Felix's own
 * changes come back as events too; the pass they cause finds nothing to do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { commandLine } from './runner.js';

export interface KernelMonitor {
  close(): Promise<void>;
}

export interface KernelMonitorOptions {
  netns?: string;
  /** Devices whose neighbour (ARP/FDB) events matter; other neighbours churn with normal traffic. */
  devices: readonly string[];
  onChange: () => void;
  onError?: (e: Error) => void;
  /** Pause before restarting a monitor that exited (default 1000 ms). */
  restartMs?: number;
}

/** Whether one labelled monitor line should trigger a pass. */
export function isRelevantMonitorLine(line: string, devices: readonly string[]): boolean {
  if (line.startsWith('[LINK]')) return true;
  if (line.startsWith('[ROUTE]')) return !line.includes(' table local ') && !/\bfe80:|\bff00:/.test(line);
  if (line.startsWith('[NEIGH]')) return devices.some((d) => line.includes(` dev ${d} `));
  return false;
}

export function startKernelMonitor(opts: KernelMonitorOptions): KernelMonitor {
  const restartMs = opts.restartMs ?? 1000;
  let closed = false;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const launch = () => {
    if (closed) return;
    const [cmd, ...args] = commandLine('ip', ['monitor', 'label', 'link', 'route', 'neigh'], opts.netns);
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const lines = createInterface({ input: c.stdout! });
    lines.on('line', (line) => {
      if (!closed && isRelevantMonitorLine(line, opts.devices)) opts.onChange();
    });
    exited = new Promise((resolve) => {
      c.once('error', (e) => opts.onError?.(e));
      c.once('close', (code) => {
        lines.close();
        child = undefined;
        resolve();
        if (closed) return;
        opts.onError?.(new Error(`ip monitor exited (${code}): ${stderr.trim()}; restarting`));
        // Whatever happened while it was down is caught by the periodic re-read.
        timer = setTimeout(launch, restartMs);
      });
    });
  };
  launch();

  return {
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      if (child?.pid) child.kill('SIGTERM');
      await exited;
    },
  };
}
