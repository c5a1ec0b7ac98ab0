/**
 * The incremental policy compiler. `update(input)` returns the same rulesets a from-scratch
 * compile would, but reuses the work of the previous call: unchanged resources keep their
 * models (by identity, resourceVersion or content), compiled policy / profile / endpoint chains
 * are memoised on their inputs, and the selector indexes only re-evaluate changed holders and
 * new selectors. A change of node or configuration starts from scratch.
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
  Rule,
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
import {
  CHAIN,
  PREFIX,
  endpointChainName,
  policyChainName,
  profileChainName,
  type Direction,
} from './names.js';
import { compileChain } from './rule-compile.js';
import type { SetDef } from './parsed-rule.js';
import { endpointChain, type ChainKind, type TierPlan } from './endpoint-chains.js';
import { filterChains, filterHooks, mangleChains, rawChains, wildcards } from './static-chains.js';
import { buildIpSet } from './ipsets.js';

interface Cached<T> {
  res: Resource;
  sig: string | undefined;
  value: T;
}

interface HolderState {
  res: Resource;
  sig: string | undefined;
  holder: Holder;
  eff: Readonly<Record<string, string>>;
  local: LocalEndpoint | undefined;
}

interface Compiled {
  chain: Chain;
  sets: SetDef[];
}

/** The chains of one local endpoint, for a given plan. */
interface EndpointChains {
  sig: string;
  endpoint: LocalEndpoint;
  chains: Chain[];
  /** (direction, policy) pairs and profiles the chains jump to. */
  policies: [PolicyModel, Direction][];
  profiles: [ProfileModel, Direction][];
  raw: boolean;
  mangle: boolean;
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

/** Reuses the cached value when the resource is the same object or has the same signature. */
function reuse<T>(prev: Cached<T> | undefined, r: Resource): Cached<T> | undefined {
  if (!prev) return undefined;
  if (prev.res === r) return prev;
  const sig = sigOf(r);
  return prev.sig === sig ? { ...prev, res: r } : undefined;
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

const DEFAULT_ALLOW = defaultAllowProfile();

class State {
  policies = new Map<string, Cached<PolicyModel | undefined>>();
  profiles = new Map<string, Cached<ProfileModel | undefined>>();
  holders = new Map<string, HolderState>();
  tierSig = '';
  tiers = new Map<string, TierModel>();
  rank = new Map<PolicyModel, number>();
  /** Every holder of every host, for rule selectors. */
  global = new SelectorIndex();
  /** This node's endpoints, for policy selectors. */
  local = new SelectorIndex();
  policyBySelector = new Map<string, Set<PolicyModel>>();
  policyChains = new WeakMap<PolicyModel, Map<string, Compiled>>();
  profileChains = new WeakMap<ProfileModel, Map<string, Compiled>>();
  endpointChains = new Map<string, EndpointChains>();
  /** Active sets by id, and their built contents per family. */
  setDefs = new Map<string, SetDef>();
  builtSets = new Map<string, Partial<Record<Family, IpSet>>>();
  /** Selector id → ids of the active sets that use it. */
  selectorSets = new Map<string, Set<string>>();
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

    const tiersChanged = this.updateTiers(input.tiers);
    const policiesChanged = this.updatePolicies(input);
    const changedProfileLabels = this.updateProfiles(input.profiles);
    const addrDirty = this.updateHolders(input, changedProfileLabels);
    if (tiersChanged || policiesChanged) this.rankPolicies();

    // Endpoint chains, and which policy / profile chains they reference.
    const endpoints = this.localEndpoints();
    const activePolicies = new Map<PolicyModel, Set<Direction>>();
    const activeProfiles = new Map<ProfileModel, Set<Direction>>();
    const seen = new Set<string>();
    let raw = false;
    let mangle = false;
    for (const ep of endpoints) {
      const ec = this.endpointChainsFor(ep, cfg);
      seen.add(ep.key);
      for (const [p, d] of ec.policies) addTo(activePolicies, p, d);
      for (const [p, d] of ec.profiles) addTo(activeProfiles, p, d);
      raw ||= ec.raw;
      mangle ||= ec.mangle;
    }
    for (const k of [...s.endpointChains.keys()]) if (!seen.has(k)) s.endpointChains.delete(k);

    const families: Family[] = cfg.ipv6 ? [4, 6] : [4];
    const perFamily = new Map<Family, { chains: Chain[]; sets: Map<string, SetDef> }>();
    for (const family of families) {
      const chains: Chain[] = [];
      const sets = new Map<string, SetDef>();
      const add = (c: Compiled) => {
        chains.push(c.chain);
        for (const d of c.sets) sets.set(d.id, d);
      };
      for (const [p, dirs] of activePolicies) for (const d of dirs) add(this.policyChain(p, d, family, cfg));
      for (const [p, dirs] of activeProfiles) for (const d of dirs) add(this.profileChain(p, d, family, cfg));
      perFamily.set(family, { chains, sets });
    }

    this.updateSets(perFamily, addrDirty);

    const out = {} as PolicyRulesets;
    for (const family of families) {
      const pf = perFamily.get(family)!;
      const rs = this.assemble(family, cfg, endpoints, pf.chains, pf.sets, raw, mangle);
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

  private updatePolicies(input: PolicyInput): boolean {
    const s = this.state;
    const next = new Map<string, Cached<PolicyModel | undefined>>();
    let changed = false;
    const all = [...input.networkPolicies, ...input.globalNetworkPolicies];
    for (const r of all) {
      const key = `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`;
      const prev = s.policies.get(key);
      let c = reuse(prev, r);
      if (!c) {
        c = { res: r, sig: sigOf(r), value: policyModel(r) };
        if (prev?.value) this.unregisterPolicy(prev.value);
        if (c.value) this.registerPolicy(c.value);
        changed = true;
      }
      next.set(key, c);
    }
    for (const [key, prev] of s.policies) {
      if (!next.has(key)) {
        if (prev.value) this.unregisterPolicy(prev.value);
        changed = true;
      }
    }
    s.policies = next;
    return changed;
  }

  private registerPolicy(p: PolicyModel): void {
    const s = this.state;
    const id = p.selector.uniqueId();
    let set = s.policyBySelector.get(id);
    if (!set) {
      s.policyBySelector.set(id, (set = new Set()));
      s.local.addSelector(id, p.selector);
    }
    set.add(p);
  }

  private unregisterPolicy(p: PolicyModel): void {
    const s = this.state;
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
  private updateProfiles(profiles: readonly Resource[]): Set<string> {
    const s = this.state;
    const next = new Map<string, Cached<ProfileModel | undefined>>();
    const changed = new Set<string>();
    const list = profiles.some((p) => p.metadata.name === DEFAULT_ALLOW_PROFILE_NAME)
      ? profiles
      : [...profiles, DEFAULT_ALLOW];
    for (const r of list) {
      const name = r.metadata.name ?? '';
      const prev = s.profiles.get(name);
      let c = reuse(prev, r);
      if (!c) {
        c = { res: r, sig: sigOf(r), value: profileModel(r) };
        if (!prev || !shallowEqual(prev.value?.labels ?? {}, c.value?.labels ?? {})) changed.add(name);
      }
      next.set(name, c);
    }
    for (const name of s.profiles.keys()) if (!next.has(name)) changed.add(name);
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
  private updateHolders(input: PolicyInput, changedProfiles: Set<string>): Set<string> {
    const s = this.state;
    const next = new Map<string, HolderState>();
    const addrDirty = new Set<string>();
    const visit = (
      r: Resource,
      key: string,
      make: (r: Resource) => Holder,
      local: (r: Resource) => LocalEndpoint | undefined,
    ) => {
      const prev = s.holders.get(key);
      let holder: Holder;
      let sig: string | undefined;
      let reused = false;
      if (prev && (prev.res === r || prev.sig === (sig = sigOf(r)))) {
        holder = prev.holder;
        sig = prev.sig;
        reused = true;
      } else {
        holder = make(r);
        sig ??= sigOf(r);
      }
      const needLabels = !reused || holder.profiles.some((p) => changedProfiles.has(p));
      const eff = needLabels ? this.effectiveLabels(holder) : prev!.eff;
      const labelsChanged = !prev || !shallowEqual(prev.eff, eff);
      if (labelsChanged) s.global.setLabels(key, eff);
      if (prev && !reused && !sameAddresses(prev.holder, holder)) addrDirty.add(key);
      const loc = reused ? prev!.local : local(r);
      if (loc) {
        if (labelsChanged || !prev?.local) s.local.setLabels(key, eff);
      } else if (prev?.local) {
        s.local.removeHolder(key);
      }
      next.set(key, { res: r, sig, holder, eff: labelsChanged ? eff : prev!.eff, local: loc });
    };
    const node = input.nodeName;
    const none = () => undefined;
    for (const r of input.workloadEndpoints)
      visit(r, holderKey('wep', r), workloadHolder, (x) => localWorkload(x, node));
    for (const r of input.hostEndpoints) visit(r, holderKey('hep', r), hostHolder, (x) => localHost(x, node));
    for (const r of input.networkSets) visit(r, holderKey('ns', r), (x) => networkSetHolder(x, false), none);
    for (const r of input.globalNetworkSets)
      visit(r, holderKey('gns', r), (x) => networkSetHolder(x, true), none);
    for (const [key, prev] of s.holders) {
      if (next.has(key)) continue;
      s.global.removeHolder(key);
      if (prev.local) s.local.removeHolder(key);
    }
    s.holders = next;
    return addrDirty;
  }

  private rankPolicies(): void {
    const s = this.state;
    const models: PolicyModel[] = [];
    for (const c of s.policies.values()) if (c.value) models.push(c.value);
    const tierOf = (p: PolicyModel) => s.tiers.get(p.tier) ?? missingTier(p.tier);
    models.sort((a, b) => compareTiers(tierOf(a), tierOf(b)) || comparePolicies(a, b));
    s.rank = new Map(models.map((m, i) => [m, i]));
  }

  /** This node's endpoints, by key, first endpoint winning an interface name. */
  private localEndpoints(): LocalEndpoint[] {
    const out: LocalEndpoint[] = [];
    for (const h of this.state.holders.values()) if (h.local) out.push(h.local);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const ifaces = new Set<string>();
    return out.filter((e) => {
      const k = `${e.type}/${e.iface}`;
      if (ifaces.has(k)) return false;
      ifaces.add(k);
      return true;
    });
  }

  /** Policies selecting the endpoint, in enforcement order. */
  private policiesOf(ep: LocalEndpoint): PolicyModel[] {
    const s = this.state;
    const out: PolicyModel[] = [];
    for (const id of s.local.matchesOf(ep.key)) for (const p of s.policyBySelector.get(id) ?? []) out.push(p);
    out.sort((a, b) => s.rank.get(a)! - s.rank.get(b)!);
    return out;
  }

  private tierPlans(
    policies: readonly PolicyModel[],
    dir: Direction,
    keep: (p: PolicyModel) => boolean,
  ): TierPlan[] {
    const plans: TierPlan[] = [];
    for (const p of policies) {
      if (!keep(p) || !(dir === 'ingress' ? p.ingress : p.egress)) continue;
      const last = plans[plans.length - 1];
      if (last && last.tier.name === p.tier) last.policies.push(p);
      else plans.push({ tier: this.state.tiers.get(p.tier) ?? missingTier(p.tier), policies: [p] });
    }
    return plans;
  }

  private endpointChainsFor(ep: LocalEndpoint, cfg: PolicyConfig): EndpointChains {
    const s = this.state;
    const policies = this.policiesOf(ep);
    const profiles: ProfileModel[] = [];
    for (const name of ep.profiles) {
      const m = s.profiles.get(name)?.value;
      if (m) profiles.push(m);
    }
    const normal = (p: PolicyModel) => p.category === 'normal';
    const plans: Record<string, TierPlan[]> = {
      in: this.tierPlans(policies, 'ingress', normal),
      out: this.tierPlans(policies, 'egress', normal),
    };
    if (ep.type === 'hep') {
      const fwd = (p: PolicyModel) => p.category === 'normal' && p.applyOnForward;
      plans.fwdIn = this.tierPlans(policies, 'ingress', fwd);
      plans.fwdOut = this.tierPlans(policies, 'egress', fwd);
      plans.rawIn = this.tierPlans(policies, 'ingress', (p) => p.category === 'untracked');
      plans.rawOut = this.tierPlans(policies, 'egress', (p) => p.category === 'untracked');
      plans.preDnat = this.tierPlans(policies, 'ingress', (p) => p.category === 'preDNAT');
    }
    const sig = JSON.stringify([
      ep,
      Object.entries(plans).map(([k, ps]) => [
        k,
        ps.map((t) => [t.tier.name, t.tier.defaultAction, t.policies.map((p) => p.id)]),
      ]),
      profiles.map((p) => p.name),
    ]);
    const used: [PolicyModel, Direction][] = [];
    const usedProfiles: [ProfileModel, Direction][] = [];
    const use = (ps: TierPlan[] | undefined, d: Direction, withProfiles: boolean) => {
      for (const t of ps ?? []) for (const p of t.policies) used.push([p, d]);
      if (withProfiles) for (const p of profiles) usedProfiles.push([p, d]);
    };
    use(plans.in, 'ingress', true);
    use(plans.out, 'egress', true);
    use(plans.fwdIn, 'ingress', false);
    use(plans.fwdOut, 'egress', false);
    use(plans.rawIn, 'ingress', false);
    use(plans.rawOut, 'egress', false);
    use(plans.preDnat, 'ingress', false);
    const raw = ep.type === 'hep' && (plans.rawIn.length > 0 || plans.rawOut.length > 0);
    const mangle = ep.type === 'hep' && plans.preDnat.length > 0;

    const prev = s.endpointChains.get(ep.key);
    // The chains depend on names only: a replaced policy object with the same ID renders the same.
    const chains = prev && prev.sig === sig ? prev.chains : this.renderEndpoint(ep, plans, profiles, cfg);
    const ec: EndpointChains = {
      sig,
      endpoint: ep,
      chains,
      policies: used,
      profiles: usedProfiles,
      raw,
      mangle,
    };
    s.endpointChains.set(ep.key, ec);
    return ec;
  }

  private renderEndpoint(
    ep: LocalEndpoint,
    plans: Record<string, TierPlan[]>,
    profiles: ProfileModel[],
    cfg: PolicyConfig,
  ): Chain[] {
    const chains: Chain[] = [];
    const profileNames = profiles.map((p) => p.name);
    const mk = (
      name: string,
      table: TableName,
      kind: ChainKind,
      direction: Direction,
      tiers: TierPlan[],
      extra = {},
    ) =>
      chains.push(
        endpointChain({ name, table, kind, direction, tiers, profiles: profileNames, ...extra }, cfg),
      );
    if (ep.type === 'wep') {
      mk(endpointChainName(PREFIX.toWorkload, ep.iface), 'filter', 'normal', 'ingress', plans.in);
      mk(endpointChainName(PREFIX.fromWorkload, ep.iface), 'filter', 'normal', 'egress', plans.out, {
        dropEncap: true,
      });
      return chains;
    }
    mk(endpointChainName(PREFIX.fromHost, ep.iface), 'filter', 'normal', 'ingress', plans.in, {
      failsafeChain: CHAIN.failsafeIn,
    });
    mk(endpointChainName(PREFIX.toHost, ep.iface), 'filter', 'normal', 'egress', plans.out, {
      failsafeChain: CHAIN.failsafeOut,
    });
    if (ep.iface !== '*') {
      const anyForwardTiers = plans.fwdIn.length > 0 || plans.fwdOut.length > 0;
      mk(endpointChainName(PREFIX.fromHostForward, ep.iface), 'filter', 'forward', 'ingress', plans.fwdIn, {
        anyForwardTiers,
      });
      mk(endpointChainName(PREFIX.toHostForward, ep.iface), 'filter', 'forward', 'egress', plans.fwdOut, {
        anyForwardTiers,
      });
    }
    if (plans.rawIn.length || plans.rawOut.length) {
      mk(endpointChainName(PREFIX.fromHost, ep.iface), 'raw', 'untracked', 'ingress', plans.rawIn, {
        failsafeChain: CHAIN.failsafeIn,
      });
      mk(endpointChainName(PREFIX.toHost, ep.iface), 'raw', 'untracked', 'egress', plans.rawOut, {
        failsafeChain: CHAIN.failsafeOut,
      });
    }
    if (plans.preDnat.length) {
      mk(endpointChainName(PREFIX.fromHost, ep.iface), 'mangle', 'preDNAT', 'ingress', plans.preDnat, {
        failsafeChain: CHAIN.failsafeIn,
      });
    }
    return chains;
  }

  private policyChain(p: PolicyModel, dir: Direction, family: Family, cfg: PolicyConfig): Compiled {
    const s = this.state;
    let m = s.policyChains.get(p);
    if (!m) s.policyChains.set(p, (m = new Map()));
    const k = `${family}${dir}`;
    let c = m.get(k);
    if (!c) {
      const owner = {
        describe: `Policy ${p.id}`,
        tier: p.tier,
        kind: p.kind,
        name: p.name,
        namespace: p.namespace,
      };
      const rules = dir === 'ingress' ? p.inbound : p.outbound;
      c = compileChain(
        policyChainName(dir, p.id),
        TABLE_OF[p.category],
        rules,
        family,
        owner,
        dir,
        cfg.logPrefix,
      );
      m.set(k, c);
    }
    return c;
  }

  private profileChain(p: ProfileModel, dir: Direction, family: Family, cfg: PolicyConfig): Compiled {
    const s = this.state;
    let m = s.profileChains.get(p);
    if (!m) s.profileChains.set(p, (m = new Map()));
    const k = `${family}${dir}`;
    let c = m.get(k);
    if (!c) {
      const owner = {
        describe: `Profile ${p.name}`,
        tier: 'profile',
        kind: 'pro',
        name: p.name,
        namespace: '',
      };
      const rules = dir === 'ingress' ? p.inbound : p.outbound;
      c = compileChain(profileChainName(dir, p.name), 'filter', rules, family, owner, dir, cfg.logPrefix);
      m.set(k, c);
    }
    return c;
  }

  /** Registers the active sets' selectors and rebuilds the sets whose members may have changed. */
  private updateSets(
    perFamily: Map<Family, { chains: Chain[]; sets: Map<string, SetDef> }>,
    addrDirty: Set<string>,
  ): void {
    const s = this.state;
    const active = new Map<string, SetDef>();
    for (const { sets } of perFamily.values()) for (const [id, d] of sets) active.set(id, d);
    const selectorSets = new Map<string, Set<string>>();
    for (const [id, d] of active) {
      const selId = d.selector.uniqueId();
      let ids = selectorSets.get(selId);
      if (!ids) selectorSets.set(selId, (ids = new Set()));
      ids.add(id);
      if (!s.global.has(selId)) s.global.addSelector(selId, d.selector);
    }
    for (const selId of s.selectorSets.keys()) if (!selectorSets.has(selId)) s.global.removeSelector(selId);
    s.selectorSets = selectorSets;

    const dirtySelectors = s.global.takeDirty();
    for (const h of addrDirty) for (const selId of s.global.matchesOf(h)) dirtySelectors.add(selId);
    for (const id of [...s.builtSets.keys()]) if (!active.has(id)) s.builtSets.delete(id);
    for (const selId of dirtySelectors)
      for (const id of selectorSets.get(selId) ?? []) s.builtSets.delete(id);
    s.setDefs = active;
  }

  private ipSet(def: SetDef, family: Family): IpSet {
    const s = this.state;
    let built = s.builtSets.get(def.id);
    if (!built) s.builtSets.set(def.id, (built = {}));
    let set = built[family];
    if (!set) {
      const holders: Holder[] = [];
      for (const key of s.global.members(def.selector.uniqueId())) holders.push(s.holders.get(key)!.holder);
      set = built[family] = buildIpSet(def, family, holders);
    }
    return set;
  }

  private assemble(
    family: Family,
    cfg: PolicyConfig,
    endpoints: LocalEndpoint[],
    policyChains: Chain[],
    sets: Map<string, SetDef>,
    raw: boolean,
    mangle: boolean,
  ): Ruleset {
    const s = this.state;
    const chains: Chain[] = [...filterChains(cfg, family), ...policyChains];
    const hooks: HookRules[] = filterHooks();
    for (const ep of endpoints) chains.push(...s.endpointChains.get(ep.key)!.chains);
    if (raw) {
      const r = rawChains(cfg, family);
      chains.push(...r.chains);
      hooks.push(...r.hooks);
    }
    if (mangle) {
      const m = mangleChains(cfg, family);
      chains.push(...m.chains);
      hooks.push(...m.hooks);
    }
    chains.sort(byName);
    const present = new Set(chains.map((c) => `${c.table}/${c.name}`));
    const dispatches = buildDispatches(endpoints, present, cfg);
    const ipsets = [...sets.values()].map((d) => this.ipSet(d, family)).sort(byName);
    return { family, hooks, chains, dispatches, sets: ipsets };
  }
}

function addTo<K>(m: Map<K, Set<Direction>>, k: K, d: Direction): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(d);
}

/** The key of a holder: the same as the Holder builders in endpoints.ts give it. */
function holderKey(type: 'wep' | 'hep' | 'ns' | 'gns', r: Resource): string {
  const name = r.metadata.name ?? '';
  return type === 'wep' || type === 'ns'
    ? `${type}/${r.metadata.namespace ?? ''}/${name}`
    : `${type}/${name}`;
}

function buildDispatches(endpoints: LocalEndpoint[], present: Set<string>, cfg: PolicyConfig): Dispatch[] {
  const unknown: Rule = { match: {}, action: { type: 'drop' }, comment: 'Unknown interface' };
  const weps = endpoints.filter((e) => e.type === 'wep').sort((a, b) => (a.iface < b.iface ? -1 : 1));
  const heps = endpoints
    .filter((e) => e.type === 'hep' && e.iface !== '*')
    .sort((a, b) => (a.iface < b.iface ? -1 : 1));
  const wildcard = endpoints.some((e) => e.type === 'hep' && e.iface === '*');
  const entries = (eps: LocalEndpoint[], prefix: string, table: TableName) =>
    eps
      .map((e) => ({ iface: e.iface, chain: endpointChainName(prefix, e.iface) }))
      .filter((e) => present.has(`${table}/${e.chain}`));
  const hepFallback = (prefix: string, table: TableName, out: boolean): Rule[] => {
    const chain = endpointChainName(prefix, '*');
    if (!wildcard || !present.has(`${table}/${chain}`)) return [];
    // Traffic to a local workload is never host endpoint egress traffic.
    const skip: Rule[] = out
      ? wildcards(cfg).map((w) => ({ match: { oif: w }, action: { type: 'return' } }))
      : [];
    return [...skip, { match: {}, action: { type: 'goto', chain } }];
  };
  const out: Dispatch[] = [
    {
      name: CHAIN.fromWlDispatch,
      table: 'filter',
      direction: 'in',
      entries: entries(weps, PREFIX.fromWorkload, 'filter'),
      fallback: [unknown],
    },
    {
      name: CHAIN.toWlDispatch,
      table: 'filter',
      direction: 'out',
      entries: entries(weps, PREFIX.toWorkload, 'filter'),
      fallback: [unknown],
    },
    {
      name: CHAIN.fromHepForward,
      table: 'filter',
      direction: 'in',
      entries: entries(heps, PREFIX.fromHostForward, 'filter'),
      fallback: [],
    },
    {
      name: CHAIN.toHepForward,
      table: 'filter',
      direction: 'out',
      entries: entries(heps, PREFIX.toHostForward, 'filter'),
      fallback: [],
    },
  ];
  const tables: TableName[] = ['filter'];
  if (present.has('raw/cali-PREROUTING')) tables.push('raw');
  if (present.has('mangle/cali-PREROUTING')) tables.push('mangle');
  for (const table of tables) {
    out.push({
      name: CHAIN.fromHostEndpoint,
      table,
      direction: 'in',
      entries: entries(heps, PREFIX.fromHost, table),
      fallback: hepFallback(PREFIX.fromHost, table, false),
    });
    if (table !== 'mangle') {
      out.push({
        name: CHAIN.toHostEndpoint,
        table,
        direction: 'out',
        entries: entries(heps, PREFIX.toHost, table),
        fallback: hepFallback(PREFIX.toHost, table, true),
      });
    }
  }
  return out.sort(byName);
}
