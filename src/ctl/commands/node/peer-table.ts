/**
 * The BGP peer tables of `calicoctl node status`, built from BIRD's `show protocols` rows. Pure, so
 * the exact text is unit-tested without a BIRD.
 */
import { bgpPeerStatus, type BgpPeerStatus, type BirdProtocol } from '../../../confd/birdc.js';
import { renderBoxedTable } from '../../printers/boxed-table.js';

export type Family = 4 | 6;

const HEADER = ['Peer address', 'Peer type', 'State', 'Since', 'Info'];

/**
 * The address as calicoctl prints it: the protocol name's suffix with `_` turned back into the
 * family's separator. Calico converts the whole suffix, so a `_port_<n>` suffix shows up as
 * `10.0.0.2.port.180` (v6: `fd00::2:port:180`); we keep that, since scripts parse this column.
 */
export function displayAddress(p: BgpPeerStatus): string {
  if (p.port === undefined) return p.peerAddress;
  const sep = p.family === 4 ? '.' : ':';
  return `${p.peerAddress}${sep}port${sep}${p.port}`;
}

/**
 * The peers of one family, in BIRD's order. A BGP row without an Info column is skipped, as
 * calicoctl skips rows with fewer than six fields.
 */
export function peersOf(protocols: readonly BirdProtocol[], family: Family): BgpPeerStatus[] {
  return bgpPeerStatus(protocols).filter((p) => p.family === family && p.info !== '');
}

/** The section body: the boxed table, or `No IPv<N> peers found.`; ends with a newline. */
export function renderPeerSection(peers: readonly BgpPeerStatus[], family: Family): string {
  if (peers.length === 0) return `No IPv${family} peers found.\n`;
  return renderBoxedTable({
    header: HEADER,
    rows: peers.map((p) => [displayAddress(p), p.peerType, p.state, p.since, p.info]),
  });
}
