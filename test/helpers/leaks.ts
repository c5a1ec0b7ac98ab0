import assert from 'node:assert/strict';

/** Handle types that mean something we started is still running or connected. */
const LEAKY = new Set([
  'TCPSocketWrap',
  'TCPWRAP',
  'ProcessWrap',
  'PipeWrap',
  'Timeout',
  'FSEventWrap',
  'Http2Session',
]);

/**
 * Fails when sockets, child processes or timers are still alive after a suite cleaned up.
 * Polls briefly: closing gRPC channels and child pipes settles within a few ticks.
 */
export async function assertNoLeaks(graceMs = 1500): Promise<void> {
  const deadline = Date.now() + graceMs;
  let live: string[] = [];
  for (;;) {
    live = process.getActiveResourcesInfo().filter((r) => LEAKY.has(r));
    if (live.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50).unref());
  }
  assert.deepEqual(live, [], `still active after cleanup: ${live.join(', ')}`);
}
