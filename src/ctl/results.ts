import { CommandError, type CtlIO } from './io.js';

export interface Outcome {
  kind: string;
  error?: string;
}

/** calicoctl's summary lines for create/apply/replace/delete/validate. */
export function report(io: CtlIO, action: string, past: string, outcomes: Outcome[]): void {
  const total = outcomes.length;
  if (total === 0) {
    io.stdout('No resources specified\n');
    return;
  }
  const ok = outcomes.filter((o) => !o.error).length;
  const kinds = new Set(outcomes.map((o) => o.kind));
  const kind = kinds.size === 1 ? [...kinds][0] : undefined;
  const errs = `[${outcomes
    .filter((o) => o.error)
    .map((o) => o.error)
    .join(' ')}]`;
  if (ok === total) {
    io.stdout(
      kind
        ? `Successfully ${past} ${ok} '${kind}' resource(s)\n`
        : `Successfully ${past} ${ok} resource(s)\n`,
    );
    return;
  }
  if (ok === 0) {
    if (total === 1) throw new CommandError(`failed to ${action} '${outcomes[0].kind}' resource: ${errs}`);
    throw new CommandError(
      kind
        ? `failed to ${action} any '${kind}' resources: ${errs}`
        : `failed to ${action} any resources: ${errs}`,
    );
  }
  io.stdout(
    kind
      ? `Partial success: ${past} the first ${ok} out of ${total} '${kind}' resources:\n`
      : `Partial success: ${past} the first ${ok} out of ${total} resources:\n`,
  );
  throw new CommandError(`hit error: ${errs}`);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
