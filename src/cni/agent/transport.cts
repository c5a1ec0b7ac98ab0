/** The outcome of one exchange with the agent, whichever transport carried it. */
export type RoundTrip =
  /** Nobody listens (no socket file, a stale one, or no permission): the request was not delivered. */
  | { kind: 'no-agent' }
  /** Everything the agent wrote before closing. */
  | { kind: 'data'; data: Buffer }
  /** The request may have been delivered but no complete answer came back. */
  | { kind: 'failed'; why: string };
