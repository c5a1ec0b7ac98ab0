import type { Resource } from '../../api/index.js';

/** Everything a cell may need besides the resource itself. */
export interface CellContext {
  /** The global AS number for Node rows (BGPConfiguration default, 64512 if none, `unknown` on error). */
  globalAS: string;
}

type Cell = (r: Resource, ctx: CellContext) => string;

type Spec = Record<string, unknown>;
const spec = (r: Resource): Spec => (r.spec ?? {}) as Spec;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
/** Go prints an unset pointer as <nil> in these templates. */
const ptr = (v: unknown): string => (v === undefined || v === null ? '<nil>' : String(v));
const list = (v: unknown): string => (Array.isArray(v) ? v.join(',') : '');
const truncated = (v: unknown): string => {
  const s = list(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};
const field =
  (...path: string[]): Cell =>
  (r) => {
    let v: unknown = r.spec;
    for (const p of path) v = v && typeof v === 'object' ? (v as Spec)[p] : undefined;
    return str(v);
  };

const NAME: Cell = (r) => r.metadata.name ?? '';
const NAMESPACE: Cell = (r) => r.metadata.namespace ?? '';
const orNever =
  (k: string): Cell =>
  (r) =>
    str(spec(r)[k]) || 'Never';
const orDash =
  (k: string): Cell =>
  (r) => {
    const v = spec(r)[k];
    return v === undefined || v === null ? '-' : String(v);
  };

const policyColumns = {
  NAME,
  TIER: field('tier'),
  ORDER: (r: Resource) => ptr(spec(r).order),
  SELECTOR: field('selector'),
};

interface KindColumns {
  ps: string[];
  wide: string[];
  cells: Record<string, Cell>;
}

const COLUMNS: Record<string, KindColumns> = {
  IPPool: {
    ps: ['NAME', 'CIDR', 'SELECTOR'],
    // Calico's calicoctl prints these eight in `-o wide`; ASSIGNMENTMODE is there for custom-columns.
    wide: ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR'],
    cells: {
      NAME,
      CIDR: field('cidr'),
      SELECTOR: field('nodeSelector'),
      NAT: (r) => String(spec(r).natOutgoing === true),
      IPIPMODE: orNever('ipipMode'),
      VXLANMODE: orNever('vxlanMode'),
      DISABLED: (r) => String(spec(r).disabled === true),
      DISABLEBGPEXPORT: (r) => String(spec(r).disableBGPExport === true),
      ASSIGNMENTMODE: (r) => str(spec(r).assignmentMode) || 'Automatic',
    },
  },
  Node: {
    ps: ['NAME'],
    wide: ['NAME', 'ASN', 'IPV4', 'IPV6'],
    cells: {
      NAME,
      ASN: (r, ctx) => {
        const bgp = spec(r).bgp as Spec | undefined;
        if (!bgp) return '';
        return bgp.asNumber !== undefined ? String(bgp.asNumber) : `(${ctx.globalAS})`;
      },
      IPV4: field('bgp', 'ipv4Address'),
      IPV6: field('bgp', 'ipv6Address'),
    },
  },
  BGPPeer: {
    ps: ['NAME', 'PEERIP', 'NODE', 'ASN'],
    wide: ['NAME', 'PEERIP', 'NODE', 'ASN'],
    cells: {
      NAME,
      PEERIP: field('peerIP'),
      NODE: (r) => str(spec(r).node) || str(spec(r).nodeSelector) || '(global)',
      // A uint32 in Calico: an unset AS prints as 0.
      ASN: (r) => str(spec(r).asNumber ?? 0),
    },
  },
  BGPConfiguration: {
    ps: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
    wide: ['NAME', 'LOGSEVERITY', 'MESHENABLED', 'ASNUMBER'],
    cells: {
      NAME,
      LOGSEVERITY: field('logSeverityScreen'),
      MESHENABLED: orDash('nodeToNodeMeshEnabled'),
      ASNUMBER: orDash('asNumber'),
    },
  },
  BGPFilter: {
    ps: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
    wide: ['NAME', 'NUMEXPORTV4', 'NUMIMPORTV4', 'NUMEXPORTV6', 'NUMIMPORTV6'],
    cells: {
      NAME,
      NUMEXPORTV4: (r) => String(((spec(r).exportV4 as unknown[]) ?? []).length),
      NUMIMPORTV4: (r) => String(((spec(r).importV4 as unknown[]) ?? []).length),
      NUMEXPORTV6: (r) => String(((spec(r).exportV6 as unknown[]) ?? []).length),
      NUMIMPORTV6: (r) => String(((spec(r).importV6 as unknown[]) ?? []).length),
    },
  },
  FelixConfiguration: { ps: ['NAME'], wide: ['NAME'], cells: { NAME } },
  KubeControllersConfiguration: { ps: ['NAME'], wide: ['NAME'], cells: { NAME } },
  NetworkPolicy: { ps: ['NAME', 'TIER'], wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'], cells: policyColumns },
  StagedNetworkPolicy: {
    ps: ['NAME', 'TIER'],
    wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
    cells: policyColumns,
  },
  GlobalNetworkPolicy: {
    ps: ['NAME', 'TIER'],
    wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
    cells: policyColumns,
  },
  StagedGlobalNetworkPolicy: {
    ps: ['NAME', 'TIER'],
    wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
    cells: policyColumns,
  },
  StagedKubernetesNetworkPolicy: {
    ps: ['NAME'],
    wide: ['NAME', 'PODSELECTOR'],
    cells: { NAME, PODSELECTOR: (r) => JSON.stringify(spec(r).podSelector ?? {}) },
  },
  Tier: { ps: ['NAME', 'ORDER'], wide: ['NAME', 'ORDER'], cells: { NAME, ORDER: (r) => ptr(spec(r).order) } },
  HostEndpoint: {
    ps: ['NAME', 'NODE'],
    wide: ['NAME', 'NODE', 'INTERFACE', 'IPS', 'PROFILES'],
    cells: {
      NAME,
      NODE: field('node'),
      INTERFACE: field('interfaceName'),
      IPS: (r) => list(spec(r).expectedIPs),
      PROFILES: (r) => list(spec(r).profiles),
    },
  },
  WorkloadEndpoint: {
    ps: ['WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE'],
    wide: ['NAME', 'WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE', 'PROFILES', 'NATS'],
    cells: {
      NAME,
      WORKLOAD: (r) => str(spec(r).workload) || str(spec(r).pod),
      NODE: field('node'),
      NETWORKS: (r) => list(spec(r).ipNetworks),
      INTERFACE: field('interfaceName'),
      PROFILES: (r) => list(spec(r).profiles),
      NATS: (r) =>
        ((spec(r).ipNATs as { internalIP: string; externalIP: string }[] | undefined) ?? [])
          .map((n) => `${n.internalIP}:${n.externalIP}`)
          .join(','),
    },
  },
  Profile: {
    ps: ['NAME'],
    wide: ['NAME', 'LABELS'],
    cells: {
      NAME,
      LABELS: (r) =>
        Object.entries((spec(r).labelsToApply as Record<string, string>) ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(','),
    },
  },
  NetworkSet: { ps: ['NAME'], wide: ['NAME', 'NETS'], cells: { NAME, NETS: (r) => truncated(spec(r).nets) } },
  GlobalNetworkSet: {
    ps: ['NAME'],
    wide: ['NAME', 'NETS'],
    cells: { NAME, NETS: (r) => truncated(spec(r).nets) },
  },
  ClusterInformation: {
    ps: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
    wide: ['NAME', 'CLUSTERGUID', 'CLUSTERTYPE', 'CALICOVERSION', 'DATASTOREREADY'],
    cells: {
      NAME,
      CLUSTERGUID: field('clusterGUID'),
      CLUSTERTYPE: field('clusterType'),
      CALICOVERSION: field('calicoVersion'),
      DATASTOREREADY: (r) => ptr(spec(r).datastoreReady),
    },
  },
  IPAMConfiguration: {
    ps: ['NAME', 'STRICTAFFINITY', 'AUTOALLOCATEBLOCKS'],
    wide: ['NAME', 'STRICTAFFINITY', 'AUTOALLOCATEBLOCKS', 'MAXBLOCKSPERHOST'],
    cells: {
      NAME,
      STRICTAFFINITY: (r) => String(spec(r).strictAffinity === true),
      AUTOALLOCATEBLOCKS: (r) => String(spec(r).autoAllocateBlocks !== false),
      MAXBLOCKSPERHOST: (r) => String(spec(r).maxBlocksPerHost ?? 0),
    },
  },
  IPReservation: {
    ps: ['NAME'],
    wide: ['NAME', 'CIDRS'],
    cells: { NAME, CIDRS: (r) => truncated(spec(r).reservedCIDRs) },
  },
  CalicoNodeStatus: {
    ps: ['NAME', 'NODE'],
    wide: ['NAME', 'NODE', 'CLASSES'],
    cells: { NAME, NODE: field('node'), CLASSES: (r) => list(spec(r).classes) },
  },
};

export function columnsFor(kind: string): KindColumns {
  return COLUMNS[kind] ?? { ps: ['NAME'], wide: ['NAME'], cells: { NAME } };
}

export { NAMESPACE };
