/**
 * The incremental policy compiler. `update(input)` returns the same rulesets a from-scratch
 * compile would, but reuses the work of the previous call: unchanged resources keep their
 * models (by identity, resourceVersion or content), compiled policy / profile / endpoint chains
 * are memoised on their inputs, the selector indexes only re-evaluate changed holders and new
 * selectors, and only endpoints touched by a change get their chains re-planned. A change of
 * node or configuration starts from scratch.
 *
 * Everything returned is shared with later results: treat it as immutable.
 */
import type { Resource } from '../../../api/index.js';
import { defaultAllowProfile, DEFAULT_ALLOW_PROFILE_NAME } from '../../../api/kinds/profile.js';
import type {
  Chain,
  Dispatch,
  Family,
  HookRules,
  IpSet,
  PolicyRulesets,
  Ruleset,
  TableName,
} from './ruleset.js';
import type { PolicyConfig, PolicyInput } from './input.js';
import {
  comparePolicies,
  compareTiers,
  missingTier,
  policyModel,
  profileModel,
  tierModels,
  type PolicyModel,
  type ProfileModel,
  type TierModel,
} from './model.js';
import {
  hostHolder,
  localHost,
  localWorkload,
  networkSetHolder,
  workloadHolder,
  type Holder,
  type LocalEndpoint,
} from './endpoints.js';
import { SelectorIndex } from './selector-index.js';
import { policyChainName, profileChainName, type Direction } from './names.js';
import { compileChain } from './rule-compile.js';
import type { SetDef } from './parsed-rule.js';
import { planEndpoint, planTemplate, type EndpointPlan, type PlanTemplate } from './endpoint-plan.js';
import { GroupChains } from './policy-groups.js';
import { PlanUses } from './plan-uses.js';
import { buildDispatches } from './dispatches.js';
import { filterChains, filterHooks, mangleChains, rawChains } from './static-chains.js';
import { buildIpSet } from './ipsets.js';
import { ListMemo } from './list-memo.js';
import { ChainCollection, type Compiled } from './chain-collection.js';

interface Cached<T> {
  res: Resource;
  /** Computed when first needed (a different object with the same key came in). */
  sig?: string;
  value: T;
}

interface HolderState extends Cached<Holder> {
  eff: Readonly<Record<string, string>>;
  local: LocalEndpoint | undefined;
}

const TABLE_OF: Record<PolicyModel['category'], TableName> = {
  normal: 'filter',
  untracked: 'raw',
  preDNAT: 'mangle',
};

function sigOf(r: Resource): string {
  const rv = r.metadata.resourceVersion;
  return rv ? `rv:${r.metadata.uid ?? ''}:${rv}` : JSON.stringify(r);
}

/** True when `r` is the cached resource: the same object, or the same version / content. */
function unchanged(prev: Cached<unknown>, r: Resource): boolean {
  if (prev.res === r) return true;
  prev.sig ??= sigOf(prev.res);
  if (prev.sig !== sigOf(r)) return false;
  prev.res = r;
  return true;
}

function shallowEqual(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
  return true;
}

function sameAddresses(a: Holder, b: Holder): boolean {
  return (
    a.v4.join() === b.v4.join() &&
    a.v6.join() === b.v6.join() &&
    JSON.stringify(a.ports) === JSON.stringify(b.ports)
  );
}

function byName(a: { name: string; table?: string }, b: { name: string; table?: string }): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const ta = a.table ?? '';
  const tb = b.table ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** Where a policy sits in the enforcement order; a change here re-plans every endpoint. */
function orderKey(p: PolicyModel | undefined): string {
  return p ? `${p.id}\0${p.tier}\0${p.order}\0${p.sortKey}` : '';
}

const DEFAULT_ALLOW = defaultAllowProfile();

class State {
  policies = new Map<string, Cached<PolicyModel | undefined>>();
  policyLists = new ListMemo();
  /** Current models by policy ID (what endpoint chains jump to). */
  policyById = new Map<string, PolicyModel>();
  profiles = new Map<string, Cached<ProfileModel | undefined>>();
  holders = new Map<string, HolderState>();
  holderLists: Record<HolderType, ListMemo> = {
    wep: new ListMemo(),
    hep: new ListMemo(),
    ns: new ListMemo(),
    gns: new ListMemo(),
  };
  tierSig = '';
  tiers = new Map<string, TierModel>();
  /** Enforcement order of every policy, by ID. */
  rank = new Map<string, number>();
  /** Every holder of every host, for rule selectors. */
  global = new SelectorIndex();
  /** This node's endpoints, for policy selectors. */
  local = new SelectorIndex();
  policyBySelector = new Map<string, Set<PolicyModel>>();
  /** Compiled chains per model, indexed by slot(family, direction). */
  policyChains = new WeakMap<PolicyModel, Compiled[]>();
  profileChains = new WeakMap<ProfileModel, Compiled[]>();
  /** Per family: the policy and profile chains in use and their sets. */
  collections = new Map<Family, ChainCollection>();
  /** Policy IDs / profile names whose model came, went or changed since the last collection. */
  changedPolicies = new Set<string>();
  changedProfiles = new Set<string>();
  /** Static chains and hooks per family (they only depend on the configuration). */
  statics = new Map<string, { chains: Chain[]; hooks: HookRules[] }>();
  /** Local endpoints, recomputed when a holder came, went or changed. */
  endpoints: LocalEndpoint[] | undefined;
  dispatchSig = '';
  /** What the dispatches were last checked against: the endpoint list, tables in use. */
  dispatchEndpoints?: LocalEndpoint[];
  dispatchTables = '';
  /** Some plan's chains changed (or a plan went) since the dispatches were last checked. */
  plansChanged = false;
  dispatches: Dispatch[] = [];
  /** Per family: the sort order of the last ruleset's chains and sets. */
  chainOrder = new Map<Family, SortCache<Chain>>();
  setOrder = new Map<Family, SortCache<IpSet>>();
  plans = new Map<string, EndpointPlan>();
  /** Policy-group chains the plans jump to. */
  groups = new GroupChains();
  /** What the plans jump to, counted. */
  uses = new PlanUses();
  /** The endpoint list `plans` was last pruned to. */
  plannedEndpoints?: LocalEndpoint[];
  /** Built set contents per family, by set ID. */
  builtSets = new Map<string, Partial<Record<Family, IpSet>>>();
  /** Selector id → ids of the active sets that use it. */
  selectorSets = new Map<string, Set<string>>();
}

/** Which endpoints need re-planning this round. */
class Dirty {
  all = false;
  readonly keys = new Set<string>();
}

export class PolicyCalculator {
  private state = new State();
  private configKey = '';

  /** Compiles `input`, reusing what the previous call computed. */
  update(input: PolicyInput): PolicyRulesets {
    const key = JSON.stringify([input.nodeName, input.config]);
    if (key !== this.configKey) {
      this.state = new State();
      this.configKey = key;
    }
    const s = this.state;
    const cfg = input.config;
    const dirty = new Dirty();

    if (this.updateTiers(input.tiers)) dirty.all = true;
    this.updatePolicies(input, dirty);
    const changedProfileLabels = this.updateProfiles(input.profiles, dirty);
    const addrDirty = this.updateHolders(input, changedProfileLabels, dirty);
    if (dirty.all) this.rankPolicies();
    for (const h of s.local.takeDirtyHolders()) dirty.keys.add(h);
    s.local.takeDirty();

    // Endpoint plans, and which policy / profile chains they reference.
    const endpoints = this.localEndpoints();
    const uses = s.uses;
    // Endpoints matching the same selectors with the same profiles share a template.
    const templates = new Map<string, PlanTemplate>();
    // The same endpoint list as last round: every endpoint has its plan, only the touched change.
    const onlyTouched = !dirty.all && endpoints === s.plannedEndpoints;
    const toPlan: Iterable<LocalEndpoint> = onlyTouched ? this.touchedEndpoints(dirty.keys) : endpoints;
    for (const ep of toPlan) {
      let plan = s.plans.get(ep.key);
      if (!plan || dirty.all || dirty.keys.has(ep.key) || plan.endpoint !== ep) {
        const key = this.templateKey(ep);
        let t = templates.get(key);
        if (!t) {
          const policies = this.policiesOf(ep);
          const wildcard = ep.type === 'hep' && ep.iface === '*';
          t = planTemplate(ep.type, wildcard, policies, this.existingProfiles(ep), s.tiers, cfg, s.groups);
          templates.set(key, t);
        }
        const next = planEndpoint(ep, t, plan);
        if (next.chains !== plan?.chains) s.plansChanged = true;
        uses.count(next, 1);
        if (plan) uses.count(plan, -1);
        s.plans.set(ep.key, (plan = next));
      }
    }
    // Plans of endpoints that went (only possible when the endpoint list is a new one).
    if (endpoints !== s.plannedEndpoints) {
      const seen = new Set(endpoints.map((ep) => ep.key));
      for (const [k, plan] of s.plans) {
        if (seen.has(k)) continue;
        uses.count(plan, -1);
        s.plans.delete(k);
        s.plansChanged = true;
      }
      s.plannedEndpoints = endpoints;
    }
    uses.prune();
    const { raw, mangle } = uses;
    s.groups.retain(uses.groups.keys());

    const families: Family[] = cfg.ipv6 ? [4, 6] : [4];
    // Policy / profile chains whose model changed or whose use came or went this round.
    const policyIds = new Set([...s.changedPolicies, ...uses.takeCrossedPolicies()]);
    const profileNames = new Set([...s.changedProfiles, ...uses.takeCrossedProfiles()]);
    s.changedPolicies.clear();
    s.changedProfiles.clear();
    const perFamily = new Map<Family, ChainCollection>();
    for (const family of families) {
      let coll = s.collections.get(family);
      if (!coll) s.collections.set(family, (coll = new ChainCollection()));
      for (const id of policyIds) {
        const counts = uses.policies.get(id);
        const p = s.policyById.get(id);
        for (const i of SLOTS) {
          if (p && counts && counts[i] > 0)
            coll.put('policy', id, i, this.policyChain(p, DIRECTIONS[i], family, cfg));
          else coll.drop('policy', id, i);
        }
      }
      for (const name of profileNames) {
        const counts = uses.profiles.get(name);
        const p = s.profiles.get(name)?.value;
        for (const i of SLOTS) {
          if (p && counts && counts[i] > 0)
            coll.put('profile', name, i, this.profileChain(p, DIRECTIONS[i], family, cfg));
          else coll.drop('profile', name, i);
        }
      }
      perFamily.set(family, coll);
    }

    this.updateSets(perFamily, addrDirty);

    const out = {} as PolicyRulesets;
    for (const family of families) {
      const coll = perFamily.get(family)!;
      const rs = this.assemble(family, cfg, endpoints, coll.chains(), coll.sets(), raw, mangle);
      if (family === 4) out.v4 = rs;
      else out.v6 = rs;
    }
    return out;
  }

  private updateTiers(tiers: readonly Resource[]): boolean {
    const s = this.state;
    const models = tierModels(tiers);
    const sig = JSON.stringify([...models.values()].sort((a, b) => (a.name < b.name ? -1 : 1)));
    if (sig === s.tierSig) return false;
    s.tierSig = sig;
    s.tiers = models;
    return true;
  }

  private updatePolicies(input: PolicyInput, dirty: Dirty): void {
    const s = this.state;
    const replace = (old: PolicyModel | undefined, now: PolicyModel | undefined) => {
      if (orderKey(old) !== orderKey(now)) dirty.all = true;
      if (old) this.unregisterPolicy(old, dirty);
      if (now) this.registerPolicy(now, dirty);
    };
    const lists = [input.networkPolicies, input.globalNetworkPolicies];
    const replaced = s.policyLists.replaced(lists, policyKey);
    if (replaced) {
      for (const [key, r] of replaced) {
        const c = s.policies.get(key)!;
        if (unchanged(c, r)) continue;
        const fresh: Cached<PolicyModel | undefined> = { res: r, value: policyModel(r) };
        replace(c.value, fresh.value);
        s.policies.set(key, fresh);
      }
      return;
    }
    const next = new Map<string, Cached<PolicyModel | undefined>>();
    const keys: string[] = [];
    for (const list of lists) {
      for (const r of list) {
        const key = policyKey(r);
        keys.push(key);
        let c = s.policies.get(key);
        if (!c || !unchanged(c, r)) {
          const fresh: Cached<PolicyModel | undefined> = { res: r, value: policyModel(r) };
          replace(c?.value, fresh.value);
          c = fresh;
        }
        next.set(key, c);
      }
    }
    for (const [key, prev] of s.policies) if (!next.has(key)) replace(prev.value, undefined);
    s.policies = next;
    s.policyLists.remember(lists, keys, next.size === keys.length);
  }

  /** Endpoints selected by the policy's selector are re-planned. */
  private touchSelected(p: PolicyModel, dirty: Dirty): void {
    if (dirty.all) return;
    for (const h of this.state.local.members(p.selector.uniqueId())) dirty.keys.add(h);
  }

  private registerPolicy(p: PolicyModel, dirty: Dirty): void {
    const s = this.state;
    const id = p.selector.uniqueId();
    let set = s.policyBySelector.get(id);
    if (!set) {
      s.policyBySelector.set(id, (set = new Set()));
      s.local.addSelector(id, p.selector);
    }
    set.add(p);
    s.policyById.set(p.id, p);
    s.changedPolicies.add(p.id);
    this.touchSelected(p, dirty);
  }

  private unregisterPolicy(p: PolicyModel, dirty: Dirty): void {
    const s = this.state;
    this.touchSelected(p, dirty);
    s.changedPolicies.add(p.id);
    if (s.policyById.get(p.id) === p) s.policyById.delete(p.id);
    const id = p.selector.uniqueId();
    const set = s.policyBySelector.get(id);
    if (!set) return;
    set.delete(p);
    if (set.size === 0) {
      s.policyBySelector.delete(id);
      s.local.removeSelector(id);
    }
  }

  /** Returns the names of profiles whose labelsToApply changed (or that came or went). */
  private updateProfiles(profiles: readonly Resource[], dirty: Dirty): Set<string> {
    const s = this.state;
    const next = new Map<string, Cached<ProfileModel | undefined>>();
    const changed = new Set<string>();
    const list = profiles.some((p) => p.metadata.name === DEFAULT_ALLOW_PROFILE_NAME)
      ? profiles
      : [...profiles, DEFAULT_ALLOW];
    for (const r of list) {
      const name = r.metadata.name ?? '';
      let c = s.profiles.get(name);
      if (!c || !unchanged(c, r)) {
        const fresh: Cached<ProfileModel | undefined> = { res: r, value: profileModel(r) };
        if (!c || !shallowEqual(c.value?.labels ?? {}, fresh.value?.labels ?? {})) changed.add(name);
        // A profile coming or going changes the profile jumps of the endpoints using it.
        if (!c?.value !== !fresh.value) dirty.all = true;
        s.changedProfiles.add(name);
        c = fresh;
      }
      next.set(name, c);
    }
    for (const [name, c] of s.profiles) {
      if (next.has(name)) continue;
      changed.add(name);
      s.changedProfiles.add(name);
      if (c.value) dirty.all = true;
    }
    s.profiles = next;
    return changed;
  }

  /** Endpoint's own labels over the labelsToApply of its profiles (first profile wins). */
  private effectiveLabels(h: Holder): Readonly<Record<string, string>> {
    if (h.profiles.length === 0) return h.labels;
    const out: Record<string, string> = {};
    for (const name of h.profiles) {
      const labels = this.state.profiles.get(name)?.value?.labels;
      if (!labels) continue;
      for (const [k, v] of Object.entries(labels)) if (!Object.hasOwn(out, k)) out[k] = v;
    }
    return Object.assign(out, h.labels);
  }

  /** Updates holders and both indexes; returns the holders whose addresses or ports changed. */
  private updateHolders(input: PolicyInput, changedProfiles: Set<string>, dirty: Dirty): Set<string> {
    const s = this.state;
    let next = s.holders;
    const addrDirty = new Set<string>();
    const visit = (
      r: Resource,
      key: string,
      make: (r: Resource) => Holder,
      local: (r: Resource) => LocalEndpoint | undefined,
    ) => {
      const prev = s.holders.get(key);
      if (prev && unchanged(prev, r)) {
        if (prev.value.profiles.some((p) => changedProfiles.has(p))) {
          const eff = this.effectiveLabels(prev.value);
          if (!shallowEqual(prev.eff, eff)) {
            prev.eff = eff;
            s.global.setLabels(key, eff);
            if (prev.local) s.local.setLabels(key, eff);
          }
        }
        next.set(key, prev);
        return;
      }
      const holder = make(r);
      const loc = local(r);
      if (prev?.local || loc) s.endpoints = undefined;
      const eff = this.effectiveLabels(holder);
      const labelsChanged = !prev || !shallowEqual(prev.eff, eff);
      if (labelsChanged) s.global.setLabels(key, eff);
      if (prev && !sameAddresses(prev.value, holder)) addrDirty.add(key);
      if (loc) {
        if (labelsChanged || !prev?.local) s.local.setLabels(key, eff);
        dirty.keys.add(key);
      } else if (prev?.local) {
        s.local.removeHolder(key);
      }
      next.set(key, { res: r, value: holder, eff: labelsChanged ? eff : prev!.eff, local: loc });
    };
    const node = input.nodeName;
    const none = () => undefined;
    type Local = (r: Resource) => LocalEndpoint | undefined;
    const kinds: [HolderType, readonly Resource[], (r: Resource) => Holder, Local][] = [
      ['wep', input.workloadEndpoints, workloadHolder, (x) => localWorkload(x, node)],
      ['hep', input.hostEndpoints, hostHolder, (x) => localHost(x, node)],
      ['ns', input.networkSets, (x) => networkSetHolder(x, false), none],
      ['gns', input.globalNetworkSets, (x) => networkSetHolder(x, true), none],
    ];
    // Few replaced holders and no profile labels changed: visit only those, in place.
    if (changedProfiles.size === 0) {
      const replaced = kinds.map(([type, list]) => s.holderLists[type].replaced([list], keyOf[type]));
      if (replaced.every((x) => x !== undefined)) {
        kinds.forEach(([, , make, local], k) => {
          for (const [key, r] of replaced[k]!) visit(r, key, make, local);
        });
        return addrDirty;
      }
    }
    next = new Map();
    let count = 0;
    for (const [type, list, make, local] of kinds) {
      const keys = list.map(keyOf[type]);
      list.forEach((r, i) => visit(r, keys[i], make, local));
      count += keys.length;
      s.holderLists[type].remember([list], keys, true);
    }
    const unique = next.size === count;
    if (!unique) for (const type of HOLDER_TYPES) s.holderLists[type].remember([], [], false);
    for (const [key, prev] of s.holders) {
      if (next.has(key)) continue;
      s.global.removeHolder(key);
      if (prev.local) {
        s.local.removeHolder(key);
        s.endpoints = undefined;
      }
    }
    s.holders = next;
    return addrDirty;
  }

  private rankPolicies(): void {
    const s = this.state;
    const models = [...s.policyById.values()];
    const tierOf = (p: PolicyModel) => s.tiers.get(p.tier) ?? missingTier(p.tier);
    models.sort((a, b) => compareTiers(tierOf(a), tierOf(b)) || comparePolicies(a, b));
    s.rank = new Map(models.map((m, i) => [m.id, i]));
  }

  /** This node's endpoints, by key, first endpoint winning an interface name. */
  private localEndpoints(): LocalEndpoint[] {
    if (this.state.endpoints) return this.state.endpoints;
    const out: LocalEndpoint[] = [];
    for (const h of this.state.holders.values()) if (h.local) out.push(h.local);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const ifaces = new Set<string>();
    return (this.state.endpoints = out.filter((e) => {
      const k = `${e.type}/${e.iface}`;
      if (ifaces.has(k)) return false;
      ifaces.add(k);
      return true;
    }));
  }

  /** The planned endpoints among `keys` (holders whose policies may have changed). */
  private *touchedEndpoints(keys: Set<string>): Generator<LocalEndpoint> {
    for (const k of keys) {
      const plan = this.state.plans.get(k);
      if (plan) yield plan.endpoint;
    }
  }

  /** What decides an endpoint's template: its kind, profiles and the policy selectors it matches. */
  private templateKey(ep: LocalEndpoint): string {
    const ids = [...this.state.local.matchesOf(ep.key)];
    if (ids.length > 1) ids.sort();
    const wildcard = ep.type === 'hep' && ep.iface === '*';
    return `${ep.type}\0${wildcard ? 1 : 0}\0${ep.profiles.join('\x01')}\0${ids.join('\x01')}`;
  }

  /** Policies selecting the endpoint, in enforcement order. */
  private policiesOf(ep: LocalEndpoint): PolicyModel[] {
    const s = this.state;
    const out: PolicyModel[] = [];
    for (const id of s.local.matchesOf(ep.key)) {
      for (const p of s.policyBySelector.get(id) ?? []) if (s.policyById.get(p.id) === p) out.push(p);
    }
    out.sort((a, b) => s.rank.get(a.id)! - s.rank.get(b.id)!);
    return out;
  }

  private existingProfiles(ep: LocalEndpoint): ProfileModel[] {
    const out: ProfileModel[] = [];
    for (const name of ep.profiles) {
      const m = this.state.profiles.get(name)?.value;
      if (m) out.push(m);
    }
    return out;
  }

  private policyChain(p: PolicyModel, dir: Direction, family: Family, cfg: PolicyConfig): Compiled {
    const s = this.state;
    let m = s.policyChains.get(p);
    if (!m) s.policyChains.set(p, (m = []));
    const k = slot(family, dir);
    let c = m[k];
    if (!c) {
      const owner = {
        describe: `Policy ${p.id}`,
        tier: p.tier,
        kind: p.kind,
        name: p.name,
        namespace: p.namespace,
      };
      const rules = dir === 'ingress' ? p.inbound : p.outbound;
      c = m[k] = compileChain(
        policyChainName(dir, p.id),
        TABLE_OF[p.category],
        rules,
        family,
        owner,
        dir,
        cfg.logPrefix,
      );
    }
    return c;
  }

  private profileChain(p: ProfileModel, dir: Direction, family: Family, cfg: PolicyConfig): Compiled {
    const s = this.state;
    let m = s.profileChains.get(p);
    if (!m) s.profileChains.set(p, (m = []));
    const k = slot(family, dir);
    let c = m[k];
    if (!c) {
      const owner = {
        describe: `Profile ${p.name}`,
        tier: 'profile',
        kind: 'pro',
        name: p.name,
        namespace: '',
      };
      const rules = dir === 'ingress' ? p.inbound : p.outbound;
      c = m[k] = compileChain(
        profileChainName(dir, p.name),
        'filter',
        rules,
        family,
        owner,
        dir,
        cfg.logPrefix,
      );
    }
    return c;
  }

  /** Registers the active sets' selectors and drops the built sets whose members may have changed. */
  private updateSets(perFamily: Map<Family, ChainCollection>, addrDirty: Set<string>): void {
    const s = this.state;
    const selectorSets = new Map<string, Set<string>>();
    const active = new Set<string>();
    for (const coll of perFamily.values()) {
      for (const [id, d] of coll.sets()) {
        active.add(id);
        const selId = d.selector.uniqueId();
        let ids = selectorSets.get(selId);
        if (!ids) selectorSets.set(selId, (ids = new Set()));
        ids.add(id);
        if (!s.global.has(selId)) s.global.addSelector(selId, d.selector);
      }
    }
    for (const selId of s.selectorSets.keys()) if (!selectorSets.has(selId)) s.global.removeSelector(selId);
    s.selectorSets = selectorSets;

    const dirtySelectors = s.global.takeDirty();
    s.global.takeDirtyHolders();
    for (const h of addrDirty) for (const selId of s.global.matchesOf(h)) dirtySelectors.add(selId);
    for (const id of [...s.builtSets.keys()]) if (!active.has(id)) s.builtSets.delete(id);
    for (const selId of dirtySelectors)
      for (const id of selectorSets.get(selId) ?? []) s.builtSets.delete(id);
  }

  private ipSet(def: SetDef, family: Family): IpSet {
    const s = this.state;
    let built = s.builtSets.get(def.id);
    if (!built) s.builtSets.set(def.id, (built = {}));
    let set = built[family];
    if (!set) {
      const holders: Holder[] = [];
      for (const key of s.global.members(def.selector.uniqueId())) holders.push(s.holders.get(key)!.value);
      set = built[family] = buildIpSet(def, family, holders);
    }
    return set;
  }

  private statics(
    family: Family,
    cfg: PolicyConfig,
    table: 'filter' | 'raw' | 'mangle',
    hostEndpoints = true,
  ) {
    const s = this.state;
    const k = `${family}/${table}/${hostEndpoints}`;
    let st = s.statics.get(k);
    if (!st) {
      st =
        table === 'filter'
          ? { chains: filterChains(cfg, family, hostEndpoints), hooks: filterHooks() }
          : table === 'raw'
            ? rawChains(cfg, family)
            : mangleChains(cfg, family);
      s.statics.set(k, st);
    }
    return st;
  }

  /** Dispatches depend on the local interfaces and which tables they use, not on the family. */
  private dispatches(
    endpoints: LocalEndpoint[],
    cfg: PolicyConfig,
    raw: boolean,
    mangle: boolean,
  ): Dispatch[] {
    const s = this.state;
    const plansChanged = s.plansChanged;
    s.plansChanged = false;
    if (!plansChanged && endpoints === s.dispatchEndpoints && s.dispatchTables === `${raw}/${mangle}`)
      return s.dispatches;
    s.dispatchEndpoints = endpoints;
    s.dispatchTables = `${raw}/${mangle}`;
    const parts: string[] = [`${raw}/${mangle}`];
    for (const ep of endpoints) {
      const plan = s.plans.get(ep.key)!;
      parts.push(`${ep.type}/${ep.iface}/${plan.raw}/${plan.mangle}`);
    }
    const sig = parts.join('\n');
    if (sig !== s.dispatchSig) {
      const present = new Set<string>();
      for (const ep of endpoints)
        for (const c of s.plans.get(ep.key)!.chains) present.add(`${c.table}/${c.name}`);
      if (raw) present.add('raw/cali-PREROUTING');
      if (mangle) present.add('mangle/cali-PREROUTING');
      s.dispatches = buildDispatches(endpoints, present, cfg);
      s.dispatchSig = sig;
    }
    return s.dispatches;
  }

  private assemble(
    family: Family,
    cfg: PolicyConfig,
    endpoints: LocalEndpoint[],
    policyChains: readonly Chain[],
    sets: ReadonlyMap<string, SetDef>,
    raw: boolean,
    mangle: boolean,
  ): Ruleset {
    const s = this.state;
    const filter = this.statics(
      family,
      cfg,
      'filter',
      endpoints.some((e) => e.type === 'hep'),
    );
    // Group chains only jump: one object serves both families.
    const chains: Chain[] = [...filter.chains, ...s.uses.groups.keys(), ...policyChains];
    const hooks: HookRules[] = [...filter.hooks];
    for (const ep of endpoints) for (const c of s.plans.get(ep.key)!.chains) chains.push(c);
    for (const [on, table] of [
      [raw, 'raw'],
      [mangle, 'mangle'],
    ] as const) {
      if (!on) continue;
      const st = this.statics(family, cfg, table);
      chains.push(...st.chains);
      hooks.push(...st.hooks);
    }
    const ipsets = [...sets.values()].map((d) => this.ipSet(d, family));
    let chainOrder = s.chainOrder.get(family);
    if (!chainOrder) s.chainOrder.set(family, (chainOrder = new SortCache()));
    let setOrder = s.setOrder.get(family);
    if (!setOrder) s.setOrder.set(family, (setOrder = new SortCache()));
    return {
      family,
      hooks,
      chains: chainOrder.sort(chains),
      sets: setOrder.sort(ipsets),
      dispatches: this.dispatches(endpoints, cfg, raw, mangle),
    };
  }
}

/**
 * Sorts by name then table, remembering the permutation: the next call with the same names in
 * the same order (the usual case: one policy's rules changed) reuses it without comparing.
 */
class SortCache<T extends { name: string; table?: string }> {
  private names: string[] = [];
  private tables: (string | undefined)[] = [];
  /** The last sort's input and output; the permutation between them is derived when first reused. */
  private items: T[] = [];
  private sorted: T[] = [];
  private perm: number[] | undefined;

  sort(items: T[]): T[] {
    const n = items.length;
    let same = n === this.names.length;
    for (let i = 0; same && i < n; i++)
      same = items[i].name === this.names[i] && items[i].table === this.tables[i];
    if (!same) {
      this.names = items.map((x) => x.name);
      this.tables = items.map((x) => x.table);
      this.items = items;
      this.sorted = items.slice().sort(byName);
      this.perm = undefined;
      return this.sorted;
    }
    if (!this.perm) {
      const at = new Map<T, number>();
      this.items.forEach((x, i) => at.set(x, i));
      this.perm = this.sorted.map((x) => at.get(x)!);
      this.items = [];
      this.sorted = [];
    }
    return this.perm.map((i) => items[i]);
  }
}

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];
const SLOTS = [0, 1] as const;

/** Index of a compiled chain in a model's cache. */
function slot(family: Family, dir: Direction): number {
  return (family === 4 ? 0 : 2) + (dir === 'ingress' ? 0 : 1);
}

const keyOf: Record<HolderType, (r: Resource) => string> = {
  wep: (r) => holderKey('wep', r),
  hep: (r) => holderKey('hep', r),
  ns: (r) => holderKey('ns', r),
  gns: (r) => holderKey('gns', r),
};

function policyKey(r: Resource): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`;
}

type HolderType = 'wep' | 'hep' | 'ns' | 'gns';
const HOLDER_TYPES: readonly HolderType[] = ['wep', 'hep', 'ns', 'gns'];

/** The key of a holder: the same as the Holder builders in endpoints.ts give it. */
function holderKey(type: HolderType, r: Resource): string {
  const name = r.metadata.name ?? '';
  return type === 'wep' || type === 'ns'
    ? `${type}/${r.metadata.namespace ?? ''}/${name}`
    : `${type}/${name}`;
}
