/** Members of a selector set or a named-port set, from the holders the selector matches. */
import type { Family, IpSet } from './ruleset.js';
import type { Holder } from './endpoints.js';
import { familyCidrs } from './endpoints.js';
import { ipSetName } from './names.js';
import type { SetDef } from './parsed-rule.js';

export function buildIpSet(def: SetDef, family: Family, members: Iterable<Holder>): IpSet {
  const out = new Set<string>();
  const np = def.namedPort;
  for (const h of members) {
    const cidrs = familyCidrs(h, family);
    if (!np) {
      for (const c of cidrs) out.add(c);
      continue;
    }
    for (const p of h.ports) {
      if (p.name !== np.name || p.proto !== np.proto) continue;
      for (const c of cidrs) out.add(`${c.slice(0, c.indexOf('/'))},${p.proto}:${p.port}`);
    }
  }
  const set: IpSet = {
    name: ipSetName(family, def.id),
    type: np ? 'ip-port' : 'net',
    members: [...out].sort(),
    comment: np ? `${def.selector.toString()} named port ${np.proto}:${np.name}` : def.selector.toString(),
  };
  return set;
}
