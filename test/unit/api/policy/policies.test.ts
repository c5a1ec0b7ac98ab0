import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkPolicyKind as NP } from '../../../../src/api/kinds/networkpolicy.js';
import { globalNetworkPolicyKind as GNP } from '../../../../src/api/kinds/globalnetworkpolicy.js';
import { stagedNetworkPolicyKind as SNP } from '../../../../src/api/kinds/stagednetworkpolicy.js';
import { stagedGlobalNetworkPolicyKind as SGNP } from '../../../../src/api/kinds/stagedglobalnetworkpolicy.js';
import { stagedKubernetesNetworkPolicyKind as SKNP } from '../../../../src/api/kinds/stagedkubernetesnetworkpolicy.js';
import { inferPolicyTypes, TIER_LABEL } from '../../../../src/api/kinds/policy-common.js';
import { assertError, assertOnlyError, assertValid, errorsOf, res } from './helpers.js';

const allow = { action: 'Allow' };

describe('policy defaults', () => {
  it('infers types from the rules present', () => {
    assert.deepEqual(inferPolicyTypes({}), ['Ingress']);
    assert.deepEqual(inferPolicyTypes({ ingress: [allow] }), ['Ingress']);
    assert.deepEqual(inferPolicyTypes({ egress: [allow] }), ['Egress']);
    assert.deepEqual(inferPolicyTypes({ ingress: [allow], egress: [allow] }), ['Ingress', 'Egress']);
    assert.deepEqual(inferPolicyTypes({ ingress: [], egress: [] }), ['Ingress']);
  });

  it('fills tier, types and the tier label on write', () => {
    const out = NP.defaults(res(NP, 'p', { egress: [allow] }));
    assert.equal(out.spec?.tier, 'default');
    assert.deepEqual(out.spec?.types, ['Egress']);
    assert.equal(out.metadata.labels?.[TIER_LABEL], 'default');
    assert.deepEqual(NP.defaults(res(NP, 'p', {})).spec?.types, ['Ingress']);
    assert.deepEqual(NP.defaults(res(NP, 'p', { types: [] })).spec?.types, ['Ingress']);
  });

  it('keeps explicit types and labels the given tier', () => {
    const out = GNP.defaults(
      res(GNP, 'sec.p', { tier: 'sec', types: ['Ingress', 'Egress'], ingress: [allow] }),
    );
    assert.deepEqual(out.spec?.types, ['Ingress', 'Egress']);
    assert.equal(out.metadata.labels?.[TIER_LABEL], 'sec');
  });

  it('does not touch its input', () => {
    const r = res(NP, 'p', { ingress: [{ action: 'Allow', protocol: 'tcp' }] });
    const copy = structuredClone(r);
    const out = NP.defaults(r);
    assert.deepEqual(r, copy);
    assert.equal((out.spec?.ingress as { protocol: string }[])[0].protocol, 'TCP');
  });

  it('adds the tier label on read when it is missing', () => {
    const r = res(NP, 'p', { tier: 'sec' });
    assert.equal(NP.readDefaults?.(r).metadata.labels?.[TIER_LABEL], 'sec');
  });
});

describe('NetworkPolicy', () => {
  it('accepts a typical policy', () => {
    assertValid(
      NP,
      res(NP, 'allow-web', {
        order: 100,
        selector: "app == 'web'",
        ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }],
      }),
    );
  });

  it('enforces the name rule', () => {
    for (const ok of ['p', 'sec.p', 'knp.default.a.b.c', 'ossg.default.x'])
      assert.deepEqual(errorsOf(NP, res(NP, ok, {})), [], ok);
    for (const bad of ['a.b.c', 'Upper', 'x_y', '-a', 'default.']) {
      assertOnlyError(
        errorsOf(NP, res(NP, bad, {})),
        'metadata.name',
        "name must consist of lower case alphanumeric characters or '-'",
      );
    }
    assertOnlyError(
      errorsOf(NP, res(NP, 'a'.repeat(254), {})),
      'metadata.name',
      'name is too long by 1 bytes',
    );
  });

  it('rejects duplicate or unknown types', () => {
    assertOnlyError(
      errorsOf(NP, res(NP, 'p', { types: ['Ingress', 'Ingress'] })),
      'spec.types',
      "'Ingress' type specified more than once",
    );
    assertError(errorsOf(NP, res(NP, 'p', { types: ['ingress'] })), 'spec.types[0]', 'Ingress or Egress');
  });

  it('rejects bad selectors, global() in the policy selector, and bad hints', () => {
    assertOnlyError(errorsOf(NP, res(NP, 'p', { selector: 'a ==' })), 'spec.selector', 'invalid selector');
    assertOnlyError(errorsOf(NP, res(NP, 'p', { selector: 'global()' })), 'spec.selector', 'global()');
    assertOnlyError(
      errorsOf(NP, res(NP, 'p', { serviceAccountSelector: '(' })),
      'spec.serviceAccountSelector',
      'invalid selector',
    );
    assertOnlyError(
      errorsOf(NP, res(NP, 'p', { performanceHints: ['Fast'] })),
      'spec.performanceHints[0]',
      'AssumeNeededOnEveryNode',
    );
    assertOnlyError(errorsOf(NP, res(NP, 'p', { tier: 'Bad_Tier' })), 'spec.tier', 'invalid tier name');
  });

  it('reports every broken rule in one pass', () => {
    const errs = errorsOf(
      NP,
      res(NP, 'p', { ingress: [{ action: 'Nope' }], egress: [{ action: 'Allow', protocol: 0 }] }),
    );
    assert.deepEqual(errs.map((e) => e.field).sort(), ['spec.egress[0].protocol', 'spec.ingress[0].action']);
  });
});

describe('GlobalNetworkPolicy', () => {
  it('accepts host-endpoint policies with applyOnForward', () => {
    assertValid(
      GNP,
      res(GNP, 'pre', {
        preDNAT: true,
        applyOnForward: true,
        ingress: [{ action: 'Deny' }],
        namespaceSelector: "a == 'b'",
      }),
    );
    assertValid(GNP, res(GNP, 'untracked', { doNotTrack: true, applyOnForward: true, egress: [allow] }));
  });

  it('rejects preDNAT with egress rules or the Egress type', () => {
    const errs = errorsOf(GNP, res(GNP, 'pre', { preDNAT: true, applyOnForward: true, egress: [allow] }));
    assertError(errs, 'spec.egress', 'PreDNAT PolicySpec cannot have any Egress rules');
    assertError(errs, 'spec.types', "PreDNAT PolicySpec cannot have 'egress' Type");
    assertOnlyError(
      errorsOf(GNP, res(GNP, 'pre', { preDNAT: true, applyOnForward: true, types: ['Egress'] })),
      'spec.types',
      'egress',
    );
  });

  it('rejects preDNAT with doNotTrack, and either without applyOnForward', () => {
    const errs = errorsOf(GNP, res(GNP, 'x', { preDNAT: true, doNotTrack: true }));
    assertError(errs, 'spec.preDNAT', 'PreDNAT and DoNotTrack cannot both be true');
    assertError(errs, 'spec.applyOnForward', 'ApplyOnForward must be true');
    assertOnlyError(
      errorsOf(GNP, res(GNP, 'x', { doNotTrack: true })),
      'spec.applyOnForward',
      'ApplyOnForward must be true',
    );
  });

  it('rejects global() in its namespaceSelector', () => {
    assertOnlyError(
      errorsOf(GNP, res(GNP, 'x', { namespaceSelector: 'global()' })),
      'spec.namespaceSelector',
      'global()',
    );
  });

  it('allows at most one dot in the name', () => {
    assert.deepEqual(errorsOf(GNP, res(GNP, 'tier.name', {})), []);
    assertOnlyError(errorsOf(GNP, res(GNP, 'a.b.c', {})), 'metadata.name', 'lower case alphanumeric');
    assertOnlyError(errorsOf(GNP, res(GNP, 'knp.default.x', {})), 'metadata.name', 'lower case alphanumeric');
  });
});

describe('staged policies', () => {
  it('defaults stagedAction to Set only when absent', () => {
    assert.equal(SNP.defaults(res(SNP, 'p', {})).spec?.stagedAction, 'Set');
    assert.equal(SGNP.defaults(res(SGNP, 'p', { stagedAction: 'Learn' })).spec?.stagedAction, 'Learn');
    assert.equal(SKNP.defaults(res(SKNP, 'p', {})).spec?.stagedAction, 'Set');
  });

  it('validates a staged Set like the policy it stages', () => {
    assertValid(SNP, res(SNP, 'p', { ingress: [allow] }));
    assertOnlyError(
      errorsOf(SNP, res(SNP, 'p', { ingress: [{ action: 'Allow', destination: { ports: [80] } }] })),
      'spec.ingress[0].destination.ports[0]',
      'must set protocol',
    );
    assertOnlyError(
      errorsOf(SGNP, res(SGNP, 'p', { doNotTrack: true })),
      'spec.applyOnForward',
      'ApplyOnForward',
    );
    assertOnlyError(
      errorsOf(SNP, res(SNP, 'p', { stagedAction: 'Apply' })),
      'spec.stagedAction',
      'Set, Delete, Learn, Ignore',
    );
  });

  it('requires a staged Delete to carry nothing but its tier', () => {
    const del = SNP.defaults(res(SNP, 'p', { stagedAction: 'Delete', tier: 'sec' }));
    assert.equal(del.spec?.types, undefined);
    assert.deepEqual(errorsOf(SNP, del), []);
    assertOnlyError(
      errorsOf(SNP, res(SNP, 'p', { stagedAction: 'Delete', selector: 'all()' })),
      'spec',
      'Spec fields, except Tier, should all be zero-value if stagedAction is Delete',
    );
    assertOnlyError(
      errorsOf(SGNP, res(SGNP, 'p', { stagedAction: 'Delete', order: 0 })),
      'spec',
      'zero-value',
    );
  });

  it('checks staged Kubernetes policies for shape', () => {
    assertValid(
      SKNP,
      res(SKNP, 'k', {
        podSelector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
        },
        ingress: [
          {
            from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
            ports: [{ protocol: 'TCP', port: 80, endPort: 90 }],
          },
        ],
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 'dns' }] }],
        policyTypes: ['Ingress', 'Egress'],
      }),
    );
    assertOnlyError(
      errorsOf(SKNP, res(SKNP, 'k', { policyTypes: ['Ingress', 'Ingress'] })),
      'spec.policyTypes',
      'more than once',
    );
    assertOnlyError(
      errorsOf(
        SKNP,
        res(SKNP, 'k', {
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }],
        }),
      ),
      'spec.ingress[0].from[0].ipBlock.except[0]',
      'strict subset',
    );
    assertOnlyError(
      errorsOf(
        SKNP,
        res(SKNP, 'k', {
          podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
        }),
      ),
      'spec.podSelector.matchExpressions[0].values',
      'may not be specified',
    );
    assertOnlyError(
      errorsOf(SKNP, res(SKNP, 'k', { stagedAction: 'Delete', policyTypes: ['Ingress'] })),
      'spec',
      'zero-value',
    );
  });
});
