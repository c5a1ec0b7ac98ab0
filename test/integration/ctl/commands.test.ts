import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { ctl, ctlBin } from '../../helpers/ctl.js';

const NP = (name: string, ns?: string) => `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: ${name}
${ns ? `  namespace: ${ns}\n` : ''}spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [80]
`;

describe('calicoctl commands on a real etcd', () => {
  let etcd: EtcdHandle;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    etcd = await startEtcd();
    env = etcd.env();
    dir = await mkdtemp(join(tmpdir(), 'calicoctl-test-'));
  });
  after(async () => {
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    await assertNoLeaks();
  });

  it('create, then create again fails unless --skip-exists', async () => {
    const f = join(dir, 'gns.yaml');
    await writeFile(
      f,
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: nets1\nspec:\n  nets: [198.51.100.0/28, 203.0.113.7]\n',
    );
    let r = await ctl(env, ['create', '-f', f]);
    assert.equal(r.stdout, "Successfully created 1 'GlobalNetworkSet' resource(s)\n");
    r = await ctl(env, ['create', '-f', f]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "failed to create 'GlobalNetworkSet' resource: [resource already exists: GlobalNetworkSet(nets1) with error: <nil>]\n",
    );
    r = await ctl(env, ['create', '--skip-exists', '-f', f]);
    assert.equal(r.code, 0);
  });

  it('namespaced kinds: default namespace, -n, -A and mismatches', async () => {
    let r = await ctl(env, ['apply', '-f', '-'], NP('allow-web'));
    assert.equal(r.code, 0, r.stderr);
    r = await ctl(env, ['apply', '-n', 'prod', '-f', '-'], NP('allow-web'));
    assert.equal(r.code, 0, r.stderr);
    r = await ctl(env, ['apply', '-n', 'prod', '-f', '-'], NP('allow-web', 'dev'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /resource namespace does not match client namespace. dev != prod/);
    r = await ctl(env, ['get', 'networkpolicy', '-A']);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^NAMESPACE\s+NAME\s+TIER\s+$/);
    assert.match(lines[1], /^default\s+allow-web\s+default\s+$/);
    assert.match(lines[2], /^prod\s+allow-web\s+default\s+$/);
    r = await ctl(env, ['get', 'policy', 'allow-web', '-n', 'prod', '-o', 'yaml']);
    assert.match(r.stdout, /namespace: prod/);
    assert.match(r.stdout, /projectcalico.org\/tier: default/);
    assert.match(r.stdout, /types:\n {2}- Ingress/);
    r = await ctl(env, ['get', 'np', '-n', 'x', '-A']);
    assert.match(r.stderr, /cannot use both --namespace and --all-namespaces flags at the same time/);
    r = await ctl(
      env,
      ['apply', '-f', '-'],
      'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: t1\n  namespace: foo\nspec: {}\n',
    );
    assert.match(
      r.stderr,
      /namespace should not be specified for a non-namespaced resource. Tier is not a namespaced resource/,
    );
  });

  it('replace with a stale resourceVersion is refused', async () => {
    await ctl(
      env,
      ['apply', '-f', '-'],
      'apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata:\n  name: prof1\nspec:\n  labelsToApply:\n    team: a\n',
    );
    const y = (await ctl(env, ['get', 'profile', 'prof1', '-o', 'yaml'])).stdout;
    let r = await ctl(env, ['replace', '-f', '-'], y.replace('team: a', 'team: b'));
    assert.equal(r.stdout, "Successfully replaced 1 'Profile' resource(s)\n");
    r = await ctl(env, ['replace', '-f', '-'], y.replace('team: a', 'team: c'));
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /update conflict: Profile\(prof1\): resource version '\d+' is out of date \(latest: \d+\)/,
    );
  });

  it('patch and label', async () => {
    let r = await ctl(
      env,
      ['apply', '-f', '-'],
      'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-a\nspec:\n  cidr: 10.50.0.0/16\n',
    );
    assert.equal(r.code, 0, r.stderr);
    r = await ctl(env, ['patch', 'ippool', 'pool-a', '-p', '{"spec":{"natOutgoing":true}}']);
    assert.equal(r.stdout, "Successfully patched 1 'IPPool' resource\n");
    r = await ctl(env, ['get', 'ippool', 'pool-a', '-o', 'json']);
    assert.equal(JSON.parse(r.stdout).spec.natOutgoing, true);
    r = await ctl(env, ['patch', 'ippool', 'pool-a', '-p', '{"spec":{"cidr":"10.51.0.0/16"}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /IPPool CIDR cannot be modified/);

    r = await ctl(env, ['label', 'ippool', 'pool-a', 'zone=east']);
    assert.equal(r.stdout, 'Successfully set label zone on ippool pool-a\n');
    r = await ctl(env, ['label', 'ippool', 'pool-a', 'zone=west']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /key zone is already present. please use '--overwrite' to set a new value/);
    r = await ctl(env, ['label', 'ippool', 'pool-a', 'zone=west', '--overwrite']);
    assert.equal(r.stdout, 'Successfully updated label zone on ippool pool-a\n');
    r = await ctl(env, ['label', 'ippool', 'pool-a', 'zone', '--remove']);
    assert.equal(r.stdout, 'Successfully removed label zone from ippool pool-a\n');
    r = await ctl(env, ['label', 'ippool', 'pool-a', 'zone', '--remove']);
    assert.match(r.stderr, /cannot remove label of ippool pool-a, key zone does not exist/);
  });

  it('delete by name, by file, -s, and the built-in tiers', async () => {
    let r = await ctl(env, ['delete', 'ippool', 'pool-a']);
    assert.equal(r.stdout, "Successfully deleted 1 'IPPool' resource(s)\n");
    r = await ctl(env, ['delete', 'ippool', 'pool-a']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Failed to delete 'IPPool' resource: resource does not exist: IPPool\(pool-a\) with error: <nil>/,
    );
    r = await ctl(env, ['delete', '-s', 'ippool', 'pool-a']);
    assert.equal(r.code, 0);
    r = await ctl(env, ['delete', 'tier', 'default']);
    assert.match(r.stderr, /operation Delete is not supported on default: Cannot delete default tier/);
    r = await ctl(env, ['delete', 'unicorn', 'x']);
    assert.match(r.stderr, /resource type 'unicorn' is not supported/);
  });

  it('get -o yaml of a single resource, --export, custom-columns, bad -o', async () => {
    let r = await ctl(env, ['get', 'gnetsets', 'nets1', '-o', 'yaml', '--export']);
    assert.doesNotMatch(r.stdout, /uid:|resourceVersion:|creationTimestamp:/);
    assert.match(r.stdout, /^apiVersion: projectcalico.org\/v3\nkind: GlobalNetworkSet\n/);
    r = await ctl(env, ['get', 'gnetsets', '-o', 'custom-columns=NAME,NETS']);
    assert.match(r.stdout, /^NAME\s+NETS\s+\nnets1\s+198\.51\.100\.0\/28,203\.0\.113\.7\s+\n\n$/);
    r = await ctl(env, ['get', 'gnetsets', '-o', 'xml']);
    assert.match(r.stderr, /unrecognized output format 'xml'/);
  });

  it('validate works offline', async () => {
    let r = await ctl({}, ['validate', '-f', '-'], NP('ok-policy'));
    assert.equal(r.stdout, "Successfully validated 1 'NetworkPolicy' resource(s)\n");
    r = await ctl({}, ['validate', '-f', '-'], NP('ok-policy').replace("app == 'web'", 'app == '));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /spec\.selector/);
  });

  it('the real binary: version, exit codes, stderr', async () => {
    let r = await ctlBin(env, ['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Client Version: {4}v\d+\.\d+\.\d+\nGit commit: {8}\S+\nCluster Version: {3}\S+\nCluster Type: {6}\S+\n$/,
    );
    r = await ctlBin(env, ['get', 'ippool', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'resource does not exist: IPPool(nope) with error: <nil>\n');
  });
});
