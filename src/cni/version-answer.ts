/**
 * VERSION without loading anything else: runtimes (podman) ask every plugin for its versions on
 * every operation, so this answer must cost no more than starting Node. No imports on purpose.
 */
import { readFileSync } from 'node:fs';

/** Calico's list plus 1.1.0, the version that added STATUS and GC. */
export const SUPPORTED_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** What VERSION answers when the caller's own version is not one we know. */
export const LATEST_VERSION = '1.1.0';

/** VERSION's answer: the caller's cniVersion when we speak it, and the supported list. */
export function versionInfo(requested: unknown): string {
  const v =
    typeof requested === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(requested)
      ? requested
      : LATEST_VERSION;
  return JSON.stringify({ cniVersion: v, supportedVersions: [...SUPPORTED_VERSIONS] });
}

/** For the bins: answers CNI_COMMAND=VERSION and exits; returns false for any other command. */
export function answerVersionAndExit(): boolean {
  if (process.env.CNI_COMMAND !== 'VERSION') return false;
  let requested: unknown;
  try {
    requested = (JSON.parse(readFileSync(0, 'utf8')) as { cniVersion?: unknown }).cniVersion;
  } catch {
    requested = undefined;
  }
  process.stdout.write(versionInfo(requested));
  process.exit(0);
}
