/**
 * The iptables + ipset policy backend against real kernels: the shared conformance suite for
 * both iptables flavours (nft and legacy), and a check that the kernel holds Felix's own names
 * (chains `cali-FORWARD`, `cali-tw-<iface>`, `cali-pi-…`, sets `cali40s:…`, `cali:` hashes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { IptablesPolicyBackend } from '../../../src/felix/dataplane/policy/ipt-backend.js';
import { kernelRunner } from '../../../src/felix/dataplane/runner.js';
import { Netns } from '../../helpers/netns.js';
import { defaultDrifts, policyBackendConformance, type Drift } from '../../helpers/policy-conformance.js';
import { allowSetName, handcraftedRulesets, pod } from '../../helpers/policy-conformance-rulesets.js';

/** The suite's iptables drifts, done with the legacy tools (`iptables` is the nft flavour here). */
function legacyDrifts(): Record<string, Drift> {
  const tw = `cali-tw-${pod('b').iface}`;
  const sh =
    (script: string): Drift =>
    (h) =>
      h.must('sh', ['-c', script]).then(() => undefined);
  return {
    'filter table flushed': sh('iptables-legacy -w -t filter -F; ip6tables-legacy -w -t filter -F'),
    'chain flushed': sh(`iptables-legacy -w -t filter -F ${tw}`),
    'rule inserted by hand': sh(`iptables-legacy -w -t filter -I ${tw} -j ACCEPT`),
    'hook rule deleted': sh('iptables-legacy -w -t filter -D FORWARD 1'),
    'set member deleted': sh(`ipset del ${allowSetName(4)} ${pod('a').ip4}`),
  };
}

function nftDrifts(): Record<string, Drift> {
  const sh =
    (script: string): Drift =>
    (h) =>
      h.must('sh', ['-c', script]).then(() => undefined);
  return {
    ...defaultDrifts('iptables'),
    'hook rule deleted': sh('iptables-nft -w -t filter -D FORWARD 1'),
    'rule inserted above the hook': sh('iptables-nft -w -t filter -I FORWARD -j LOG'),
  };
}

policyBackendConformance(
  'iptables-nft',
  (runner) => new IptablesPolicyBackend({ runner, iptablesFlavour: 'nft' }),
  {
    netnsPrefix: 'pip-nft-',
    drifts: nftDrifts(),
  },
);

const legacySkip = spawnSync('iptables-legacy-restore', ['--version'], { stdio: 'ignore' }).error
  ? 'iptables-legacy is not installed'
  : undefined;
if (!legacySkip) {
  policyBackendConformance(
    'iptables-legacy',
    (runner) => new IptablesPolicyBackend({ runner, iptablesFlavour: 'legacy' }),
    { netnsPrefix: 'pip-leg-', drifts: legacyDrifts() },
  );
}

describe('iptables backend: the kernel holds Calico names', { skip: process.getuid?.() !== 0 }, () => {
  const name = 'pip-names-h';
  let ns: Netns;
  before(() => {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    ns = new Netns(name);
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  });

  it('iptables-save shows cali-FORWARD, cali-tw-<iface>, cali-pi-…, hashes; ipset shows cali40s:…', async () => {
    const backend = new IptablesPolicyBackend({
      runner: kernelRunner({ netns: name }),
      iptablesFlavour: 'nft',
    });
    backend.setDesired(handcraftedRulesets());
    await backend.reconcile({ full: true });
    const save = await ns.must('iptables-nft-save', ['-t', 'filter']);
    const tw = `cali-tw-${pod('b').iface}`;
    for (const chain of ['cali-FORWARD', tw, 'cali-pi-conformance', 'cali-to-wl-dispatch']) {
      assert.match(save, new RegExp(`^:${chain} - `, 'm'), `chain ${chain} in iptables-save`);
    }
    assert.match(save, /^-A FORWARD -m comment --comment "cali:[A-Za-z0-9_-]{16}" -j cali-FORWARD$/m);
    assert.match(save, new RegExp(`^-A cali-to-wl-dispatch .*-o ${pod('b').iface} .*-g ${tw}$`, 'm'));
    const rules = save.split('\n').filter((l) => /^-A cali-/.test(l));
    assert.ok(rules.length > 10);
    for (const r of rules) assert.match(r, /--comment "cali:[A-Za-z0-9_-]{16}"/, r);
    assert.match(await ns.must('iptables-nft-save', ['-t', 'raw']), /^:cali-PREROUTING - /m);
    const v6 = await ns.must('ip6tables-nft-save', ['-t', 'filter']);
    assert.match(v6, /^:cali-pi-conformance - /m);
    const sets = (await ns.must('ipset', ['list', '-n'])).split('\n');
    assert.ok(sets.includes(allowSetName(4)) && sets.includes(allowSetName(6)), sets.join(' '));
    assert.ok(sets.some((s) => s.startsWith('cali40n:')));
    assert.match(await ns.must('ipset', ['list', '-t', allowSetName(4)]), /Type: hash:net/);
    await backend.remove();
    assert.doesNotMatch(await ns.must('iptables-nft-save'), /cali/);
    assert.equal((await ns.must('ipset', ['list', '-n'])).trim(), '');
  });
});
