import { readResources, type InputOptions } from '../input.js';
import type { CtlIO } from '../io.js';
import { report } from '../results.js';
import { precheck } from './write.js';

/** Offline: decoding, defaults and validation, no datastore. */
export async function runValidate(io: CtlIO, opts: InputOptions): Promise<void> {
  const resources = await readResources(io, opts);
  const bad = precheck(resources, {});
  report(io, 'validate', 'validated', bad.length ? bad : resources.map((r) => ({ kind: r.kind })));
}
