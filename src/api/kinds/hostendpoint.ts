/** HostEndpoint (cluster-scoped): one of a host's interfaces (or all of them, `*`) under policy. */
import { joinPath, type Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { checkInterfaceName, checkNameRef } from '../common/fields.js';
import { checkIP } from '../common/ip-fields.js';
import { ianaPortNameProblem } from '../common/ports.js';
import { normaliseProtocol, protocolProblem, supportsPorts } from '../common/protocol.js';

/** A named port on an endpoint, which policy can refer to by name. */
export interface EndpointPort {
  name: string;
  protocol: string | number;
  port: number;
}

export interface HostEndpointSpec {
  node?: string;
  interfaceName?: string;
  expectedIPs?: string[];
  profiles?: string[];
  ports?: EndpointPort[];
}
export type HostEndpoint = Resource<HostEndpointSpec>;

/** Checks protocol and port of an endpoint port; shared with WorkloadEndpoint ports. */
export function checkEndpointPortProtocol(c: Checker, path: string, protocol: unknown, what: string): void {
  const at = joinPath(path, 'protocol');
  const problem = protocolProblem(protocol);
  if (problem) c.fail(at, protocol, problem);
  else c.expect(supportsPorts(protocol), at, protocol, `${what} protocol does not support ports.`);
}

export function checkPortNumber(c: Checker, path: string, port: unknown, allowZero = false): void {
  const ok =
    typeof port === 'number' && Number.isInteger(port) && port >= (allowZero ? 0 : 1) && port <= 65535;
  c.expect(ok, path, port, `must be an integer between ${allowZero ? 0 : 1} and 65535`);
}

export function checkProfileNames(c: Checker, path: string, profiles: unknown): void {
  if (!Array.isArray(profiles)) return;
  profiles.forEach((p, i) => checkNameRef(c, joinPath(path, i), p));
}

function checkHostEndpointSpec(c: Checker, spec: HostEndpointSpec): void {
  if (!spec.node) c.fail('spec.node', spec.node, 'no node has been specified');
  else checkNameRef(c, 'spec.node', spec.node);
  if (!spec.interfaceName && (spec.expectedIPs?.length ?? 0) === 0) {
    c.fail('spec.interfaceName', spec.interfaceName, 'no interface or expected IPs have been specified');
  }
  checkInterfaceName(c, 'spec.interfaceName', spec.interfaceName, true);
  spec.expectedIPs?.forEach((ip, i) => {
    if (ip === '') c.fail(joinPath('spec.expectedIPs', i), ip, 'invalid IP address');
    else checkIP(c, joinPath('spec.expectedIPs', i), ip);
  });
  checkProfileNames(c, 'spec.profiles', spec.profiles);
  spec.ports?.forEach((p, i) => {
    const at = joinPath('spec.ports', i);
    const problem = ianaPortNameProblem(p.name ?? '');
    if (problem) c.fail(joinPath(at, 'name'), p.name, problem);
    checkEndpointPortProtocol(c, at, p.protocol, 'EndpointPort');
    checkPortNumber(c, joinPath(at, 'port'), p.port);
  });
}

export const hostEndpointKind: KindDef = {
  kind: 'HostEndpoint',
  plural: 'hostendpoints',
  namespaced: false,
  aliases: ['hostendpoint', 'hostendpoints', 'hep', 'heps'],
  spec: S.object({
    node: S.string,
    interfaceName: S.string,
    expectedIPs: S.stringList,
    profiles: S.stringList,
    ports: S.array(S.object({ name: S.string, protocol: S.intOrString, port: S.int })),
  }),
  defaults(r: Resource): Resource {
    const spec = (r.spec ?? {}) as HostEndpointSpec;
    if (!Array.isArray(spec.ports)) return r;
    const ports = spec.ports.map((p) =>
      typeof p.protocol === 'string' || typeof p.protocol === 'number'
        ? { ...p, protocol: normaliseProtocol(p.protocol) }
        : p,
    );
    return { ...r, spec: { ...spec, ports } as Record<string, unknown> };
  },
  validate(r: Resource, c: Checker): void {
    checkHostEndpointSpec(c, (r.spec ?? {}) as HostEndpointSpec);
  },
};
