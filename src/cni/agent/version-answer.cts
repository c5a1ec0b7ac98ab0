/**
 * VERSION answered without the agent and without loading the plugin: podman calls VERSION on every
 * plugin of every network on every command, so it must cost no more than Node's start.
 * Mirrors versionInfo() in src/cni/versions.ts (ESM, so not loadable from here without the ESM
 * loader); test/integration/cni-agent checks the two answer alike.
 */

export const SUPPORTED_VERSIONS: readonly string[] = [
  '0.1.0',
  '0.2.0',
  '0.3.0',
  '0.3.1',
  '0.4.0',
  '1.0.0',
  '1.1.0',
];
const LATEST = '1.1.0';

export function versionAnswer(stdin: string): string {
  let requested: unknown;
  try {
    requested = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
  } catch {
    requested = undefined;
  }
  const v = typeof requested === 'string' && SUPPORTED_VERSIONS.includes(requested) ? requested : LATEST;
  return JSON.stringify({ cniVersion: v, supportedVersions: [...SUPPORTED_VERSIONS] });
}
