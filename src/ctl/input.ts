import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeDocuments, type Resource } from '../api/index.js';
import { CommandError, type CtlIO } from './io.js';

export interface InputOptions {
  filename: string;
  recursive?: boolean;
  skipEmpty?: boolean;
}

/** Reads `-f` input (file, directory, or `-` for stdin) into resources, strictly decoded. */
export async function readResources(io: CtlIO, opts: InputOptions): Promise<Resource[]> {
  if (opts.filename === '-') return decodeOne(await io.readStdin(), 'stdin', opts);
  let st;
  try {
    st = await stat(opts.filename);
  } catch {
    throw new CommandError(`failed to execute command: open ${opts.filename}: no such file or directory`);
  }
  if (!st.isDirectory()) return decodeOne(await readFile(opts.filename, 'utf8'), opts.filename, opts);
  const files = await listFiles(opts.filename, opts.recursive ?? false);
  const out: Resource[] = [];
  for (const f of files) out.push(...decodeOne(await readFile(f, 'utf8'), f, { ...opts, skipEmpty: true }));
  if (out.length === 0 && !opts.skipEmpty) {
    throw new CommandError(`failed to execute command: no resources specified in directory ${opts.filename}`);
  }
  return out;
}

function decodeOne(text: string, source: string, opts: InputOptions): Resource[] {
  let items: Resource[];
  try {
    items = decodeDocuments(text, source);
  } catch (e) {
    throw new CommandError(`failed to execute command: ${(e as Error).message}`);
  }
  if (items.length === 0 && !opts.skipEmpty && source !== 'stdin') {
    throw new CommandError(`failed to execute command: no resources specified in file ${source}`);
  }
  return items;
}

async function listFiles(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const ent of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) {
      if (recursive) out.push(...(await listFiles(p, true)));
    } else if (/\.(ya?ml|json)$/i.test(ent.name)) out.push(p);
  }
  return out;
}
