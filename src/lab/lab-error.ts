/**
 * What calico-lab reports to its user: what failed, and what to do about it. The CLI prints the
 * message, the hint and (for anything that may have left state behind) how to clean up.
 */
export class LabError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    /** Exit status the CLI uses (1: failed, 2: usage). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

export function usageError(message: string, hint?: string): LabError {
  return new LabError(message, hint, 2);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
