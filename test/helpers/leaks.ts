import assert from 'node:assert/strict';

interface HandleLike {
  constructor: { name: string };
  pid?: number;
  spawnfile?: string;
  remoteAddress?: string;
  remotePort?: number;
}

/** Live handles other than our own stdio: sockets, child processes, servers, pipes we opened. */
function liveHandles(): string[] {
  const get = (process as unknown as { _getActiveHandles?: () => HandleLike[] })._getActiveHandles;
  const handles = get ? get.call(process) : [];
  return handles
    .filter(
      (h) =>
        (h as unknown) !== process.stdout &&
        (h as unknown) !== process.stderr &&
        (h as unknown) !== process.stdin,
    )
    .map((h) =>
      [h.constructor.name, h.spawnfile, h.pid, h.remoteAddress, h.remotePort]
        .filter((x) => x !== undefined)
        .join(' '),
    );
}

/** Handle kinds that mean something we started still runs (PipeWrap is judged by liveHandles: stdio is one). */
const LEAKY = new Set([
  'TCPSocketWrap',
  'TCPServerWrap',
  'TCPWRAP',
  'ProcessWrap',
  'UDPWRAP',
  'FSEventWrap',
  'Timeout',
]);

function live(): string[] {
  const kinds = process.getActiveResourcesInfo().filter((r) => LEAKY.has(r));
  const handles = liveHandles();
  return kinds.length || handles.length ? [...kinds, ...handles] : [];
}

/**
 * Fails when sockets, child processes, servers or timers are still alive after a suite cleaned up.
 * Polls briefly: closing gRPC channels and child pipes settles within a few ticks.
 */
export async function assertNoLeaks(graceMs = 1500): Promise<void> {
  const deadline = Date.now() + graceMs;
  let now = live();
  while (now.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    now = live();
  }
  assert.deepEqual(now, [], `still active after cleanup: ${now.join('; ')}`);
}
