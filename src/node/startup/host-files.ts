/** The files startup owns on the host: its state directories and the nodename file other components read. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface HostFiles {
  /** Creates the directory (and parents); true when it did not exist before. */
  ensureDir(path: string): Promise<boolean>;
  writeFile(path: string, content: string): Promise<void>;
}

export const realHostFiles: HostFiles = {
  async ensureDir(path) {
    // mkdir -p returns the first directory it created, undefined when all existed.
    return (await mkdir(path, { recursive: true })) !== undefined;
  },
  async writeFile(path, content) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  },
};
