import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUILTIN_TIERS,
  builtinTierResource,
  isBuiltinTier,
  tierKind,
} from '../../../../src/api/kinds/tier.js';
import {
  DEFAULT_ALLOW_PROFILE,
  DEFAULT_ALLOW_PROFILE_NAME,
  profileKind,
} from '../../../../src/api/kinds/profile.js';
import { networkSetKind } from '../../../../src/api/kinds/networkset.js';
import { globalNetworkSetKind } from '../../../../src/api/kinds/globalnetworkset.js';
import { POLICY_KINDS } from '../../../../src/api/kinds/policy-kinds.js';
import { assertError, assertOnlyError, assertValid, errorsOf, res } from './helpers.js';

describe('Tier', () => {
  it('defaults order and defaultAction only when absent', () => {
    assert.deepEqual(tierKind.defaults(res(tierKind, 't', {})).spec, {
      order: 1000000,
      defaultAction: 'Deny',
    });
    assert.deepEqual(tierKind.defaults(res(tierKind, 't', { order: 5, defaultAction: 'Pass' })).spec, {
      order: 5,
      defaultAction: 'Pass',
    });
  });

  it('validates name, action and order', () => {
    assertValid(tierKind, res(tierKind, 'security', { order: 100 }));
    assertOnlyError(
      errorsOf(tierKind, res(tierKind, 'a.b', {})),
      'metadata.name',
      "name must consist of lower case alphanumeric characters or '-'",
    );
    assertOnlyError(
      errorsOf(tierKind, res(tierKind, 'a'.repeat(64), {})),
      'metadata.name',
      'name is too long by 1 bytes',
    );
    assertOnlyError(
      errorsOf(tierKind, res(tierKind, 't', { defaultAction: 'Allow' })),
      'spec.defaultAction',
      'Deny, Pass',
    );
  });

  it('pins the built-in tiers', () => {
    assert.deepEqual(
      BUILTIN_TIERS.map((t) => [t.metadata.name, t.spec?.order, t.spec?.defaultAction]),
      [
        ['kube-admin', 1000, 'Pass'],
        ['default', 1000000, 'Deny'],
        ['kube-baseline', 10000000, 'Pass'],
      ],
    );
    assert.ok(Object.isFrozen(BUILTIN_TIERS[0].spec));
    assert.ok(isBuiltinTier('default') && !isBuiltinTier('security'));
    for (const t of BUILTIN_TIERS) assert.deepEqual(errorsOf(tierKind, structuredClone(t)), []);
    assertOnlyError(
      errorsOf(tierKind, res(tierKind, 'default', { order: 5 })),
      'spec.order',
      'default tier order must be 1000000',
    );
    assertOnlyError(
      errorsOf(tierKind, res(tierKind, 'kube-admin', { order: 1000 })),
      'spec.defaultAction',
      'kube-admin tier defaultAction must be Pass',
    );
    // Defaults are generic (absent fields only): a bare kube-baseline gets the default tier's values.
    const bare = errorsOf(tierKind, res(tierKind, 'kube-baseline', {}));
    assertError(bare, 'spec.order', 'kube-baseline tier order must be 10000000');
    assertError(bare, 'spec.defaultAction', 'kube-baseline tier defaultAction must be Pass');
    assert.equal(builtinTierResource('nope'), undefined);
    assert.equal(builtinTierResource('default')?.kind, 'Tier');
  });
});

describe('Profile', () => {
  it('exports the virtual default-allow profile', () => {
    assert.equal(DEFAULT_ALLOW_PROFILE.metadata.name, DEFAULT_ALLOW_PROFILE_NAME);
    assert.equal(DEFAULT_ALLOW_PROFILE.metadata.resourceVersion, '1');
    assert.deepEqual(DEFAULT_ALLOW_PROFILE.spec, {
      ingress: [{ action: 'Allow' }],
      egress: [{ action: 'Allow' }],
    });
    assert.throws(() => {
      (DEFAULT_ALLOW_PROFILE.metadata as { name: string }).name = 'x';
    });
    assert.deepEqual(errorsOf(profileKind, structuredClone(DEFAULT_ALLOW_PROFILE)), []);
  });

  it('validates labelsToApply', () => {
    assertValid(
      profileKind,
      res(profileKind, 'kns.default', { labelsToApply: { 'pcns.projectcalico.org/name': 'default' } }),
    );
    assertOnlyError(
      errorsOf(profileKind, res(profileKind, 'p', { labelsToApply: { k: 'bad value!' } })),
      'spec.labelsToApply.k',
      'invalid label value',
    );
  });
});

describe('NetworkSet / GlobalNetworkSet', () => {
  for (const kind of [networkSetKind, globalNetworkSetKind]) {
    it(`${kind.kind}: accepts CIDRs with host bits and bare IPs`, () => {
      assertValid(kind, res(kind, 'ns', { nets: ['10.0.0.0/8', '192.168.1.1/24', '1.2.3.4', 'fd00::1'] }));
    });

    it(`${kind.kind}: rejects bad nets and the namespace label`, () => {
      assertOnlyError(
        errorsOf(kind, res(kind, 'ns', { nets: ['10.0.0.0/33'] })),
        'spec.nets[0]',
        'invalid CIDR',
      );
      const r = res(kind, 'ns', {});
      r.metadata.labels = { 'projectcalico.org/namespace': 'x' };
      assertOnlyError(
        errorsOf(kind, r),
        'metadata.labels["projectcalico.org/namespace"]',
        'projectcalico.org/namespace is not a valid label name',
      );
    });
  }
});

describe('POLICY_KINDS', () => {
  it('registers every kind once with its calicoctl aliases', () => {
    const kinds = POLICY_KINDS.map((k) => k.kind);
    assert.deepEqual(kinds, [
      'NetworkPolicy',
      'GlobalNetworkPolicy',
      'StagedNetworkPolicy',
      'StagedGlobalNetworkPolicy',
      'StagedKubernetesNetworkPolicy',
      'Tier',
      'Profile',
      'NetworkSet',
      'GlobalNetworkSet',
      'HostEndpoint',
      'WorkloadEndpoint',
    ]);
    const aliases = POLICY_KINDS.flatMap((k) => k.aliases);
    assert.equal(new Set(aliases).size, aliases.length);
    for (const a of [
      'np',
      'pol',
      'gnp',
      'snp',
      'sgnp',
      'sknp',
      'tier',
      'pro',
      'netsets',
      'gnetsets',
      'hep',
      'wep',
    ]) {
      assert.ok(aliases.includes(a), a);
    }
    const namespaced = POLICY_KINDS.filter((k) => k.namespaced).map((k) => k.kind);
    assert.deepEqual(namespaced, [
      'NetworkPolicy',
      'StagedNetworkPolicy',
      'StagedKubernetesNetworkPolicy',
      'NetworkSet',
      'WorkloadEndpoint',
    ]);
  });
});
