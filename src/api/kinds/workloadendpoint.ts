/**
 * WorkloadEndpoint (namespaced, Calico-internal kind): a pod's or container's interface. Its name is
 * derived from the spec (see workload-endpoint-name.ts) and it always carries the namespace and
 * orchestrator labels that selectors rely on.
 */
import { joinPath, type Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { ValidationError } from '../../errors/index.js';
import { cidrContainsIP, tryParseCIDR, type CIDR } from '../../net/index.js';
import { checkInterfaceName, checkMAC, checkNameRef } from '../common/fields.js';
import { checkCIDRList, checkIP } from '../common/ip-fields.js';
import { ianaPortNameProblem } from '../common/ports.js';
import { normaliseProtocol } from '../common/protocol.js';
import { NAMESPACE_LABEL } from './networkset.js';
import { checkEndpointPortProtocol, checkPortNumber, checkProfileNames } from './hostendpoint.js';
import { tryWorkloadEndpointName, workloadEndpointName } from '../workload-endpoint-name.js';

export const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';
export { NAMESPACE_LABEL };

export interface WorkloadEndpointPort {
  name?: string;
  protocol: string | number;
  port: number;
  hostPort?: number;
  hostIP?: string;
}

export interface IPNAT {
  internalIP: string;
  externalIP: string;
}

/** Bandwidth, packet-rate and connection limits; 0 or absent means unlimited. */
export interface QoSControls {
  ingressBandwidth?: number;
  ingressBurst?: number;
  ingressPeakrate?: number;
  ingressMinburst?: number;
  egressBandwidth?: number;
  egressBurst?: number;
  egressPeakrate?: number;
  egressMinburst?: number;
  ingressPacketRate?: number;
  ingressPacketBurst?: number;
  egressPacketRate?: number;
  egressPacketBurst?: number;
  ingressMaxConnections?: number;
  egressMaxConnections?: number;
  dscp?: number | string;
}

export interface WorkloadEndpointSpec {
  orchestrator?: string;
  workload?: string;
  node?: string;
  containerID?: string;
  pod?: string;
  endpoint?: string;
  serviceAccountName?: string;
  ipNetworks?: string[];
  ipNATs?: IPNAT[];
  ipv4Gateway?: string;
  ipv6Gateway?: string;
  profiles?: string[];
  interfaceName?: string;
  mac?: string;
  ports?: WorkloadEndpointPort[];
  allowSpoofedSourcePrefixes?: string[];
  qosControls?: QoSControls;
}
export type WorkloadEndpoint = Resource<WorkloadEndpointSpec>;

const CONTAINER_ID = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** Limits when the field is non-zero: [min, max]. */
const QOS_LIMITS: Record<Exclude<keyof QoSControls, 'dscp'>, [number, number]> = {
  ingressBandwidth: [1000, 1e15],
  ingressBurst: [1000, 34359738360],
  ingressPeakrate: [1010, 1.01e15],
  ingressMinburst: [1000, 1e8],
  egressBandwidth: [1000, 1e15],
  egressBurst: [1000, 34359738360],
  egressPeakrate: [1010, 1.01e15],
  egressMinburst: [1000, 1e8],
  ingressPacketRate: [1, 1e4],
  ingressPacketBurst: [1, 1e4],
  egressPacketRate: [1, 1e4],
  egressPacketBurst: [1, 1e4],
  ingressMaxConnections: [1, 4294967295],
  egressMaxConnections: [1, 4294967295],
};

/** Named DSCP classes (RFC 4594 / 2474 code points); numbers 0-63 are accepted too. */
const DSCP_NAMES = [
  'DF',
  'EF',
  'AF11',
  'AF12',
  'AF13',
  'AF21',
  'AF22',
  'AF23',
  'AF31',
  'AF32',
  'AF33',
  'AF41',
  'AF42',
  'AF43',
  'CS0',
  'CS1',
  'CS2',
  'CS3',
  'CS4',
  'CS5',
  'CS6',
  'CS7',
];

const NAME_MISMATCH =
  'the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name';

function checkQoS(c: Checker, q: QoSControls): void {
  for (const [field, [min, max]] of Object.entries(QOS_LIMITS)) {
    const v = q[field as keyof typeof QOS_LIMITS];
    if (v === undefined || v === 0) continue;
    c.expect(
      Number.isInteger(v) && v >= min && v <= max,
      `spec.qosControls.${field}`,
      v,
      `must be 0 or between ${min} and ${max}`,
    );
  }
  if (q.ingressPeakrate && !q.ingressBandwidth) {
    c.fail('spec.qosControls.ingressPeakrate', q.ingressPeakrate, 'requires ingressBandwidth');
  }
  if (q.egressPeakrate && !q.egressBandwidth) {
    c.fail('spec.qosControls.egressPeakrate', q.egressPeakrate, 'requires egressBandwidth');
  }
  const d = q.dscp;
  if (d !== undefined) {
    const ok =
      typeof d === 'number'
        ? Number.isInteger(d) && d >= 0 && d <= 63
        : DSCP_NAMES.includes(d.toUpperCase()) || (/^\d+$/.test(d) && Number(d) <= 63);
    c.expect(ok, 'spec.qosControls.dscp', d, 'must be a DSCP value 0-63 or a class name such as EF or AF21');
  }
}

/** ipNetworks must be single addresses; NAT internal IPs must be among them. */
function checkAddresses(c: Checker, spec: WorkloadEndpointSpec): void {
  const nets: CIDR[] = [];
  spec.ipNetworks?.forEach((text, i) => {
    const at = joinPath('spec.ipNetworks', i);
    const cidr = typeof text === 'string' ? tryParseCIDR(text, { allowBareIP: true }) : undefined;
    if (!cidr) {
      c.fail(at, text, 'invalid CIDR');
      return;
    }
    nets.push(cidr);
    c.expect(
      cidr.prefix === (cidr.family === 4 ? 32 : 128),
      at,
      text,
      'IP network contains multiple addresses',
    );
  });
  spec.ipNATs?.forEach((nat, i) => {
    const at = joinPath('spec.ipNATs', i);
    const internal = checkIP(c, joinPath(at, 'internalIP'), nat.internalIP);
    const external = checkIP(c, joinPath(at, 'externalIP'), nat.externalIP);
    if (!nat.internalIP) c.fail(joinPath(at, 'internalIP'), nat.internalIP, 'invalid IP address');
    if (!nat.externalIP) c.fail(joinPath(at, 'externalIP'), nat.externalIP, 'invalid IP address');
    if (internal && external && internal.family !== external.family) {
      c.fail(joinPath(at, 'externalIP'), nat.externalIP, 'mismatched IP versions');
    }
    if (internal && !nets.some((n) => cidrContainsIP(n, internal))) {
      c.fail('spec.ipNATs', nat, 'NAT is not in the endpoint networks');
    }
  });
  checkIP(c, 'spec.ipv4Gateway', spec.ipv4Gateway, { family: 4 });
  checkIP(c, 'spec.ipv6Gateway', spec.ipv6Gateway, { family: 6 });
  checkCIDRList(c, 'spec.allowSpoofedSourcePrefixes', spec.allowSpoofedSourcePrefixes);
}

function checkPorts(c: Checker, ports: WorkloadEndpointPort[] | undefined): void {
  ports?.forEach((p, i) => {
    const at = joinPath('spec.ports', i);
    if (p.name) {
      const problem = ianaPortNameProblem(p.name);
      if (problem) c.fail(joinPath(at, 'name'), p.name, problem);
    } else if (!p.hostPort) {
      c.fail(
        joinPath(at, 'name'),
        p.name,
        'WorkloadEndpointPort name must not be empty if no HostPort is specified',
      );
    }
    checkEndpointPortProtocol(c, at, p.protocol, 'WorkloadEndpointPort');
    checkPortNumber(c, joinPath(at, 'port'), p.port);
    if (p.hostPort !== undefined) checkPortNumber(c, joinPath(at, 'hostPort'), p.hostPort, true);
    if (p.hostIP) checkIP(c, joinPath(at, 'hostIP'), p.hostIP);
  });
}

/** The name must be the one computed from the spec (an empty name was filled in by defaults). */
function checkName(c: Checker, r: WorkloadEndpoint): void {
  const spec = r.spec ?? {};
  let expected: string;
  try {
    expected = workloadEndpointName(spec);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    e.fields.forEach((f) => c.fail(f.field, f.value, f.reason));
    return;
  }
  const name = r.metadata.name;
  if (name && name !== expected) c.fail('metadata.name', name, `${NAME_MISMATCH} ${expected}`);
}

function checkWorkloadEndpoint(c: Checker, r: WorkloadEndpoint): void {
  const spec = r.spec ?? {};
  for (const f of ['orchestrator', 'workload', 'node', 'pod', 'endpoint', 'serviceAccountName'] as const) {
    checkNameRef(c, `spec.${f}`, spec[f]);
  }
  if (spec.containerID) {
    c.expect(
      CONTAINER_ID.test(spec.containerID),
      'spec.containerID',
      spec.containerID,
      `must match ${CONTAINER_ID.source}`,
    );
  }
  checkName(c, r);
  checkAddresses(c, spec);
  checkProfileNames(c, 'spec.profiles', spec.profiles);
  if (!spec.interfaceName)
    c.fail('spec.interfaceName', spec.interfaceName, 'interfaceName must be specified');
  else checkInterfaceName(c, 'spec.interfaceName', spec.interfaceName, true);
  checkMAC(c, 'spec.mac', spec.mac);
  checkPorts(c, spec.ports);
  if (spec.qosControls) checkQoS(c, spec.qosControls);
}

export const workloadEndpointKind: KindDef = {
  kind: 'WorkloadEndpoint',
  plural: 'workloadendpoints',
  namespaced: true,
  aliases: ['workloadendpoint', 'workloadendpoints', 'wep', 'weps'],
  spec: S.object({
    orchestrator: S.string,
    workload: S.string,
    node: S.string,
    containerID: S.string,
    pod: S.string,
    endpoint: S.string,
    serviceAccountName: S.string,
    ipNetworks: S.stringList,
    ipNATs: S.array(S.object({ internalIP: S.string, externalIP: S.string })),
    ipv4Gateway: S.string,
    ipv6Gateway: S.string,
    profiles: S.stringList,
    interfaceName: S.string,
    mac: S.string,
    ports: S.array(
      S.object({ name: S.string, protocol: S.intOrString, port: S.int, hostPort: S.int, hostIP: S.string }),
    ),
    allowSpoofedSourcePrefixes: S.stringList,
    qosControls: S.object({
      ingressBandwidth: S.int,
      ingressBurst: S.int,
      ingressPeakrate: S.int,
      ingressMinburst: S.int,
      egressBandwidth: S.int,
      egressBurst: S.int,
      egressPeakrate: S.int,
      egressMinburst: S.int,
      ingressPacketRate: S.int,
      ingressPacketBurst: S.int,
      egressPacketRate: S.int,
      egressPacketBurst: S.int,
      ingressMaxConnections: S.int,
      egressMaxConnections: S.int,
      dscp: S.intOrString,
    }),
  }),
  /** Fills an empty name from the spec and (re)sets the namespace and orchestrator labels. */
  defaults(r: Resource): Resource {
    const spec = (r.spec ?? {}) as WorkloadEndpointSpec;
    const metadata = { ...r.metadata };
    if (!metadata.name) {
      const name = tryWorkloadEndpointName(spec);
      if (name) metadata.name = name;
    }
    metadata.labels = {
      ...(metadata.labels ?? {}),
      [NAMESPACE_LABEL]: metadata.namespace ?? '',
      [ORCHESTRATOR_LABEL]: spec.orchestrator ?? '',
    };
    let out: WorkloadEndpointSpec = spec;
    if (Array.isArray(spec.ports)) {
      out = {
        ...spec,
        ports: spec.ports.map((p) =>
          typeof p.protocol === 'string' || typeof p.protocol === 'number'
            ? { ...p, protocol: normaliseProtocol(p.protocol) }
            : p,
        ),
      };
    }
    return { ...r, metadata, spec: out as Record<string, unknown> };
  },
  validate(r: Resource, c: Checker): void {
    checkWorkloadEndpoint(c, r as WorkloadEndpoint);
  },
};
