/** CalicoNodeStatus (cluster-scoped): asks calico-node to report agent, BGP and route status. */
import type { Checker } from '../check.js';
import { checkIntRange, checkNameRef } from '../common/fields.js';
import { isSet, specOf } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S, type Schema } from '../schema.js';
import type { Resource } from '../types.js';

export const NODE_STATUS_CLASSES = ['Agent', 'BGP', 'Routes'] as const;

export interface CalicoNodeStatusSpec {
  node: string;
  classes: (typeof NODE_STATUS_CLASSES)[number][];
  /** Seconds between updates; 0 stops updating. */
  updatePeriodSeconds: number;
}
export type CalicoNodeStatus = Resource<CalicoNodeStatusSpec>;

const DAEMON: Schema = S.object({
  state: S.string,
  version: S.string,
  routerID: S.string,
  lastBootTime: S.string,
  lastReconfigurationTime: S.string,
});
const PEER: Schema = S.object({ peerIP: S.string, type: S.string, state: S.string, since: S.string });
const ROUTE: Schema = S.object({
  type: S.string,
  destination: S.string,
  gateway: S.string,
  interface: S.string,
  learnedFrom: S.object({ sourceType: S.string, peerIP: S.string }),
});

function validate(r: Resource, c: Checker): void {
  const spec = specOf<Partial<CalicoNodeStatusSpec>>(r);
  if (!isSet(spec.node)) c.fail('spec.node', spec.node, 'node must be specified');
  else checkNameRef(c, 'spec.node', spec.node);
  if (spec.classes === undefined) c.fail('spec.classes', undefined, 'classes must be specified');
  const seen = new Set<string>();
  (spec.classes ?? []).forEach((cl, i) => {
    if (!(NODE_STATUS_CLASSES as readonly string[]).includes(cl)) {
      c.fail(`spec.classes[${i}]`, cl, `must be one of: ${NODE_STATUS_CLASSES.join(', ')}`);
    } else if (seen.has(cl)) c.fail(`spec.classes[${i}]`, cl, 'classes must be unique');
    seen.add(cl);
  });
  if (spec.updatePeriodSeconds === undefined)
    c.fail('spec.updatePeriodSeconds', undefined, 'updatePeriodSeconds must be specified');
  else checkIntRange(c, 'spec.updatePeriodSeconds', spec.updatePeriodSeconds, 0, 86400);
}

export const calicoNodeStatusKind: KindDef = {
  kind: 'CalicoNodeStatus',
  plural: 'caliconodestatuses',
  namespaced: false,
  aliases: ['caliconodestatus', 'caliconodestatuses', 'nodestatus', 'nodestatuses'],
  spec: S.object({ node: S.string, classes: S.stringList, updatePeriodSeconds: S.int }),
  status: S.object({
    lastUpdated: S.string,
    agent: S.object({ birdV4: DAEMON, birdV6: DAEMON }),
    bgp: S.object({
      numberEstablishedV4: S.int,
      numberNotEstablishedV4: S.int,
      numberEstablishedV6: S.int,
      numberNotEstablishedV6: S.int,
      peersV4: S.array(PEER),
      peersV6: S.array(PEER),
    }),
    routes: S.object({ routesV4: S.array(ROUTE), routesV6: S.array(ROUTE) }),
  }),
  defaults: (r) => ({ ...r, spec: { ...(r.spec ?? {}) } }),
  validate,
};
