/**
 * The plugin side of the agent protocol: send one request over the unix socket and wait for the
 * answer, through the raw pipe transport when this Node offers it, else node:net.
 */
import {
  encodeFrame,
  failure,
  FrameReader,
  isAgentResponse,
  type AgentRequest,
  type AgentResponse,
} from './protocol.cjs';
import { netRoundTrip } from './transport-net.cjs';
import { rawAvailable, rawRoundTrip } from './transport-raw.cjs';
import type { RoundTrip } from './transport.cjs';

export interface TryAgentOptions {
  socketPath: string;
  /** Give up waiting for the answer after this long (default 120 s, beyond the agent's own limit). */
  timeoutMs?: number;
  /** Force a transport (tests); default raw when available. */
  transport?: 'raw' | 'net';
}

/**
 * Resolves the agent's answer, or undefined when no agent listens (the caller runs the request
 * in-process). Once the request may have reached the agent, failures become a CNI error answer
 * instead: running it a second time in-process could double an ADD.
 */
export async function tryAgent(req: AgentRequest, opts: TryAgentOptions): Promise<AgentResponse | undefined> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const payload = encodeFrame(req);
  const useRaw = opts.transport ? opts.transport === 'raw' : rawAvailable();
  const r: RoundTrip = useRaw
    ? await rawRoundTrip(opts.socketPath, payload, timeoutMs)
    : await netRoundTrip(opts.socketPath, payload, timeoutMs);
  if (r.kind === 'no-agent') return undefined;
  if (r.kind === 'failed') return failure(req, `calico-cni-agent did not answer: ${r.why}`);
  if (r.data.length === 0) return failure(req, 'calico-cni-agent closed the connection before answering');
  try {
    const msg = new FrameReader().push(r.data);
    if (msg === undefined) return failure(req, 'calico-cni-agent sent a truncated answer');
    if (!isAgentResponse(msg)) return failure(req, 'calico-cni-agent sent a malformed answer');
    // Not run by the agent (it serves another network namespace): ours to run.
    return msg.refused === undefined ? msg : undefined;
  } catch (e) {
    return failure(req, `calico-cni-agent sent a bad answer: ${(e as Error).message}`);
  }
}
