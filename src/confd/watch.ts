/**
 * Keeps bird.cfg current: watches everything the renderer reads (Nodes, BGPPeers,
 * BGPConfigurations, IPPools and this host's IPAM affinities) and, after a quiet period, re-reads
 * the datastore, re-renders and hands over the text when it changed.
 *
 * The watches only say "something changed"; every render starts from a fresh list, so a missed or
 * reordered event can never leave a stale config behind, and bursts (a cluster starting, a pool's
 * blocks being claimed) collapse into one render.
 */
import type { Client } from '../client/index.js';
import type { Watch } from '../datastore/index.js';
import { buildBirdInput, hostAffinityRoot, type BuildInputOptions } from './input.js';
import { renderBirdConfig, type BirdInput } from './render/index.js';

export interface ConfdWatchOptions extends BuildInputOptions {
  nodeName: string;
  /** Receives each new configuration text (never the same text twice in a row). */
  onConfig: (text: string, input: BirdInput) => void | Promise<void>;
  onError?: (e: unknown) => void;
  /** Quiet period after the last event before rendering (default 100 ms). */
  debounceMs?: number;
  /** Pause before re-opening a failed watch or retrying a failed render (default 1000 ms). */
  retryMs?: number;
}

export interface ConfdWatcher {
  /** Resolves after the first configuration was rendered and handed over (or the watcher closed). */
  readonly ready: Promise<void>;
  /** The last text handed to onConfig. */
  current(): string | undefined;
  /** Renders now (after the current one, if running), bypassing the debounce. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const WATCHED_KINDS = ['Node', 'BGPPeer', 'BGPConfiguration', 'IPPool'] as const;

interface Closable extends AsyncIterable<unknown> {
  close(): Promise<void>;
}

export function watchBirdConfig(client: Client, opts: ConfdWatchOptions): ConfdWatcher {
  const debounceMs = opts.debounceMs ?? 100;
  const retryMs = opts.retryMs ?? 1000;
  let closed = false;
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  const watches = new Set<Closable>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  const report = (e: unknown) => {
    try {
      opts.onError?.(e);
    } catch {
      // A failing error handler must not stop the watcher.
    }
  };

  const schedule = (delay = debounceMs) => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void render();
    }, delay);
  };

  const render = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        if (closed) return;
        try {
          const input = await buildBirdInput(client, opts.nodeName, opts);
          const text = renderBirdConfig(input);
          if (closed) return;
          if (text !== last) {
            await opts.onConfig(text, input);
            last = text;
          }
          markReady();
        } catch (e) {
          report(e);
          schedule(retryMs);
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const s = {
        timer: setTimeout(() => {
          sleepers.delete(s);
          resolve();
        }, ms),
        wake: () => resolve(),
      };
      sleepers.add(s);
    });

  /** Follows one watch; when it fails (or ends) it is opened again after retryMs. */
  const follow = async (open: () => Closable) => {
    while (!closed) {
      const w = open();
      watches.add(w);
      try {
        for await (const ev of w) {
          if (closed) break;
          if ((ev as { type?: string }).type === 'ERROR') {
            report((ev as { error?: unknown }).error);
            break;
          }
          schedule();
        }
      } catch (e) {
        if (!closed) report(e);
      } finally {
        watches.delete(w);
        await w.close().catch(() => undefined);
      }
      if (closed) return;
      // Whatever happened while the watch was down is picked up by the next render.
      schedule();
      await pause(retryMs);
    }
  };

  const loops = [
    ...WATCHED_KINDS.map((kind) => follow(() => client.watch(kind))),
    follow((): Watch => client.backend.watch(hostAffinityRoot(opts.nodeName))),
  ];
  schedule(0);

  return {
    ready,
    current: () => last,
    refresh: async () => {
      if (running) await running;
      await render();
    },
    close: async () => {
      closed = true;
      markReady();
      if (timer) clearTimeout(timer);
      for (const s of sleepers) {
        clearTimeout(s.timer);
        s.wake();
      }
      sleepers.clear();
      await Promise.all([...watches].map((w) => w.close().catch(() => undefined)));
      await Promise.all(loops);
      await running;
    },
  };
}
