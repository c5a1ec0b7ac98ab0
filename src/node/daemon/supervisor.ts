/**
 * Keeps one in-process component running: starts it, waits until it reports a failure (or its
 * start throws), logs why, stops what is left of it and starts it again after a backoff that
 * doubles per failure and resets once the component ran for a while. stop() ends the loop and the
 * component, also in the middle of a start or a backoff.
 */
import type { Logger } from '../log.js';

export interface RunningComponent {
  /** Resolves with the reason when the component failed and must be restarted; never otherwise. */
  failed: Promise<Error>;
  stop(): Promise<void>;
}

export interface Backoff {
  initialMs?: number;
  maxMs?: number;
  /** A run at least this long resets the backoff (default 30 s). */
  resetAfterMs?: number;
}

export type SupervisorState = 'starting' | 'running' | 'backoff' | 'stopped';

export interface SupervisorOptions {
  name: string;
  start: () => Promise<RunningComponent>;
  log: Logger;
  backoff?: Backoff;
}

export class Supervisor {
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private current: RunningComponent | undefined;
  private _state: SupervisorState = 'stopped';
  private _restarts = 0;
  private readonly stopSignal: Promise<void>;
  private signalStop: () => void = () => undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.stopSignal = new Promise((r) => (this.signalStop = r));
  }

  get state(): SupervisorState {
    return this._state;
  }

  /** How many times the component was started again after a failure. */
  get restarts(): number {
    return this._restarts;
  }

  /** Starts the loop; resolves after the first start attempt (successful or not). */
  start(): Promise<void> {
    let first: () => void = () => undefined;
    const firstDone = new Promise<void>((r) => (first = r));
    this.loop ??= this.run(first);
    return firstDone;
  }

  private async run(firstDone: () => void): Promise<void> {
    const b = this.opts.backoff ?? {};
    const initial = b.initialMs ?? 1000;
    let delay = initial;
    while (!this.stopping) {
      this._state = 'starting';
      const startedAt = Date.now();
      let reason: Error | undefined;
      try {
        const c = await this.opts.start();
        this.current = c;
        firstDone();
        if (this.stopping) break;
        this._state = 'running';
        this.opts.log.info(`${this.opts.name} started`);
        const r = await Promise.race([c.failed, this.stopSignal.then(() => undefined)]);
        if (r === undefined || this.stopping) break;
        reason = r;
        this.current = undefined;
        this.opts.log.error(`${this.opts.name} failed: ${r.message}; stopping it before a restart`);
        await c
          .stop()
          .catch((e: unknown) => this.opts.log.warn(`${this.opts.name}: stop after failure: ${msg(e)}`));
      } catch (e) {
        firstDone();
        reason = e instanceof Error ? e : new Error(String(e));
        this.opts.log.error(`${this.opts.name} could not start: ${reason.message}`);
      }
      if (this.stopping) break;
      if (Date.now() - startedAt >= (b.resetAfterMs ?? 30_000)) delay = initial;
      this._state = 'backoff';
      this.opts.log.info(`${this.opts.name}: restarting in ${delay} ms`);
      await this.sleep(delay);
      delay = Math.min(delay * 2, b.maxMs ?? 30_000);
      if (!this.stopping) this._restarts++;
    }
    firstDone();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Ends the loop and stops the component (waiting for a start in progress to finish first). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.wake?.();
    await this.loop;
    const c = this.current;
    this.current = undefined;
    if (c) await c.stop();
    this._state = 'stopped';
  }
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
