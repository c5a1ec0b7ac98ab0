/**
 * BIRD's health reporter ("bird"), with the meaning of Calico's `calico-node -bird-live` /
 * `-bird-ready`: live when BIRD answers on its control socket; ready when, in addition, confd has
 * installed a configuration and every BGP session confd configured (Mesh_, Global_, Node_) is
 * Established. A node without peers is ready as soon as BIRD runs its configuration.
 */
import { bgpPeerStatus, showProtocols, type BirdProtocol } from '../../confd/index.js';
import type { HealthReport, HealthReporter } from './aggregate.js';

export interface BirdHealthSource {
  socketPath: string;
  /** False until confd applied its first configuration (BIRD is only started after that). */
  configured(): boolean;
  timeoutMs?: number;
}

/** Readiness from a `show protocols` listing (pure). */
export function birdReadiness(protocols: readonly BirdProtocol[]): { ready: boolean; detail: string } {
  const peers = bgpPeerStatus(protocols);
  const down = peers.filter((p) => !/^Established/.test(p.info));
  const established = peers.length - down.length;
  const detail =
    `${established}/${peers.length} BGP sessions established` +
    (down.length
      ? `; not established: ${down.map((p) => `${p.peerAddress} (${p.state}${p.info ? ` ${p.info}` : ''})`).join(', ')}`
      : '');
  return { ready: down.length === 0, detail };
}

export async function checkBird(src: BirdHealthSource): Promise<HealthReport> {
  if (!src.configured()) return { live: true, ready: false, detail: 'waiting for the first configuration' };
  let protocols: BirdProtocol[];
  try {
    protocols = await showProtocols(src.socketPath, { timeoutMs: src.timeoutMs ?? 1500 });
  } catch (e) {
    return {
      live: false,
      ready: false,
      detail: `BIRD does not answer on ${src.socketPath}: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return { live: true, ...birdReadiness(protocols) };
}

export function birdReporter(src: BirdHealthSource): HealthReporter {
  return { name: 'bird', reportsLive: true, reportsReady: true, check: () => checkBird(src) };
}
