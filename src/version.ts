import { readFileSync } from 'node:fs';

/** The calico-ts release; calicoctl prints it and compares it with ClusterInformation.calicoVersion. */
export const VERSION = 'v0.1.0';

/** The commit recorded at build time (dist/build-info.json, written by scripts/build-info.mjs). */
export const GIT_COMMIT: string = (() => {
  if (process.env.CALICO_TS_GIT_COMMIT) return process.env.CALICO_TS_GIT_COMMIT;
  try {
    const info = JSON.parse(readFileSync(new URL('../build-info.json', import.meta.url), 'utf8')) as {
      commit?: string;
    };
    return info.commit ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
