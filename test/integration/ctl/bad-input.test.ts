import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { ctl } from '../../helpers/ctl.js';

const pool = (name: string, spec: string) => `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ${name}
spec:
${spec}`;

/**
 * Each case: calicoctl create with the input must exit 1, print a message matching every pattern
 * (resource, field and rule), and write nothing.
 */
const CASES: { name: string; input: string; expect: RegExp[] }[] = [
  {
    name: 'malformed YAML',
    input: 'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: [oops\n',
    expect: [/failed to execute command/, /line \d+/i],
  },
  {
    name: 'unknown kind',
    input: 'apiVersion: projectcalico.org/v3\nkind: IPPoool\nmetadata:\n  name: x\n',
    expect: [/unknown resource type \(IPPoool\) and\/or version \(projectcalico\.org\/v3\)/],
  },
  {
    name: 'unknown field',
    input: pool('p1', '  cidr: 10.1.0.0/16\n  natOutgoingg: true'),
    expect: [/field in document is not recognized or is in the wrong location: .*natOutgoingg/],
  },
  {
    name: 'bad CIDR',
    input: pool('p1', '  cidr: 10.1.0.300/16'),
    expect: [/IPPool\(p1\)/, /spec\.cidr/, /10\.1\.0\.300\/16/],
  },
  {
    name: 'host bits set',
    input: pool('p1', '  cidr: 10.1.0.1/16'),
    expect: [/IPPool\(p1\)/, /spec\.cidr/, /not strictly masked/],
  },
  {
    name: 'blockSize out of range',
    input: pool('p1', '  cidr: 10.1.0.0/16\n  blockSize: 19'),
    expect: [/IPPool\(p1\)/, /spec\.blockSize/, /19/],
  },
  {
    name: 'IPIP and VXLAN both on',
    input: pool('p1', '  cidr: 10.1.0.0/16\n  ipipMode: Always\n  vxlanMode: Always'),
    expect: [/IPPool\(p1\)/, /ipipMode and vxlanMode cannot both be enabled/],
  },
  {
    name: 'bad selector',
    input: pool('p1', '  cidr: 10.1.0.0/16\n  nodeSelector: "a == "'),
    expect: [/IPPool\(p1\)/, /spec\.nodeSelector/, /a == /],
  },
  {
    name: 'name rules',
    input: pool('Bad_Name', '  cidr: 10.1.0.0/16'),
    expect: [/IPPool\(Bad_Name\)/, /metadata\.name/],
  },
  {
    name: 'missing tier',
    input: `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: gold.allow-ssh
spec:
  tier: gold
  selector: all()
  ingress:
  - action: Allow
`,
    expect: [/resource does not exist: Tier\(gold\)/],
  },
];

describe('calicoctl rejects bad input and writes nothing', () => {
  let etcd: EtcdHandle;
  let env: Record<string, string>;
  let baseline: string[];

  const keys = async () =>
    (await etcd.etcdctl(['get', '--prefix', '--keys-only', '/calico/'])).stdout
      .split('\n')
      .filter(Boolean)
      .sort();

  before(async () => {
    etcd = await startEtcd();
    env = etcd.env();
    // One valid pool so overlap can be tested; also initialises tiers and ClusterInformation.
    const r = await ctl(env, ['create', '-f', '-'], pool('existing', '  cidr: 10.0.0.0/16'));
    assert.equal(r.code, 0, r.stderr);
    baseline = await keys();
  });
  after(async () => {
    await etcd?.stop();
    await assertNoLeaks();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const r = await ctl(env, ['create', '-f', '-'], c.input);
      assert.equal(r.code, 1, `exit code; stdout=${r.stdout} stderr=${r.stderr}`);
      for (const re of c.expect) assert.match(r.stderr, re);
      assert.deepEqual(await keys(), baseline, 'nothing written');
    });
  }

  it('overlapping pools', async () => {
    const r = await ctl(env, ['create', '-f', '-'], pool('p2', '  cidr: 10.0.128.0/17'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /IPPool\(p2\) CIDR overlaps with IPPool\(existing\) CIDR 10\.0\.0\.0\/16/);
    assert.match(r.stderr, /spec\.cidr/);
    assert.deepEqual(await keys(), baseline);
  });

  it('a file with one bad document writes none of them', async () => {
    const input = pool('good1', '  cidr: 10.7.0.0/16') + '\n---\n' + pool('bad1', '  cidr: 10.8.0.1/16');
    const r = await ctl(env, ['apply', '-f', '-'], input);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /IPPool\(bad1\)/);
    assert.deepEqual(await keys(), baseline);
  });

  it('etcd unreachable: a clear error within the timeout', async () => {
    const t0 = Date.now();
    const r = await ctl({ ETCD_ENDPOINTS: 'http://127.0.0.1:9' }, ['get', 'ippools']);
    const elapsed = Date.now() - t0;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /127\.0\.0\.1:9/);
    assert.ok(elapsed < 15_000, `took ${elapsed} ms`);
  });
});
