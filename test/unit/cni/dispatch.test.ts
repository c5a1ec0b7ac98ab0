import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCni, type CniResponse } from '../../../src/cni/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import { ETCD, harness, k8sArgs, netconf, pool, request, type Harness } from './fakes.js';

const P4 = pool('p4', '10.244.0.0/16');
const P6 = pool('p6', 'fd00:10:244::/48');

function ok(res: CniResponse): Record<string, unknown> {
  assert.equal(res.exitCode, 0, `expected success, got ${res.stdout}\n${res.stderr}`);
  return res.stdout ? (JSON.parse(res.stdout) as Record<string, unknown>) : {};
}

function err(res: CniResponse, code: number, msg?: RegExp): { code: number; msg: string; details?: string } {
  assert.equal(res.exitCode, 1, `expected failure, got ${res.stdout}`);
  const e = JSON.parse(res.stdout) as { cniVersion: string; code: number; msg: string; details?: string };
  assert.equal(e.code, code, `${e.msg} (${e.details})`);
  if (msg) assert.match(e.msg, msg);
  return e;
}

async function held(h: Harness, handle: string): Promise<string[]> {
  try {
    return await h.ipam.ipsByHandle(handle);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return [];
    throw e;
  }
}

async function weps(h: Harness, ns = 'default'): Promise<string[]> {
  return (await h.client.list('WorkloadEndpoint', { namespace: ns })).items.map((w) => w.metadata.name!);
}

describe('runCni: VERSION and errors before any datastore work', () => {
  it('VERSION answers without touching deps', async () => {
    const h = await harness();
    h.breakDatastore(true);
    const out = ok(await runCni(request('VERSION', { cniVersion: '0.4.0' }), h.deps));
    assert.deepEqual(out, {
      cniVersion: '0.4.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
    assert.equal(ok(await runCni(request('VERSION', '{"cniVersion":"7.0.0"}'), h.deps)).cniVersion, '1.1.0');
  });

  it('bad JSON, unknown versions and unknown commands are CNI errors with cniVersion', async () => {
    const h = await harness();
    const e = err(await runCni(request('ADD', '{not json'), h.deps), 7, /failed to load netconf/);
    assert.equal(
      (JSON.parse((await runCni(request('ADD', '{x'), h.deps)).stdout) as { cniVersion: string }).cniVersion,
      '1.0.0',
    );
    assert.ok(e.msg);
    err(
      await runCni(request('ADD', netconf({ cniVersion: '3.0.0' })), h.deps),
      1,
      /unsupported CNI version "3.0.0"/,
    );
    err(
      await runCni({ ...request('ADD', netconf()), command: 'FROB' as 'ADD' }, h.deps),
      4,
      /unknown CNI_COMMAND: FROB/,
    );
    err(await runCni(request('ADD', netconf(), { CNI_NETNS: '' }), h.deps), 4, /\[CNI_NETNS\] missing/);
  });

  it('CHECK needs 0.4.0+, GC and STATUS need 1.1.0+', async () => {
    const h = await harness([P4]);
    err(
      await runCni(request('CHECK', netconf({ cniVersion: '0.3.1' })), h.deps),
      1,
      /config version does not allow CHECK/,
    );
    err(await runCni(request('GC', netconf()), h.deps), 1, /config version does not allow GC/);
    err(
      await runCni(request('STATUS', netconf({ cniVersion: '0.4.0' })), h.deps),
      1,
      /does not allow STATUS/,
    );
  });
});

describe('runCni: calico ADD / DEL', () => {
  it('plain CNI ADD: result, WorkloadEndpoint, handle, profile', async () => {
    const h = await harness([P4]);
    const out = ok(await runCni(request('ADD', netconf({ mtu: 1400 })), h.deps));
    const ips = out.ips as { interface: number; address: string }[];
    assert.equal(ips.length, 1);
    assert.match(ips[0].address, /^10\.244\.\d+\.\d+\/32$/);
    assert.equal(ips[0].interface, 1);
    assert.deepEqual(out.interfaces, [
      { name: 'calic1' },
      { name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1400, sandbox: '/run/netns/pod1' },
    ]);
    const ip = ips[0].address.split('/')[0];
    assert.deepEqual(out.routes, [{ dst: `${ip}/26` }]);
    assert.deepEqual(out.dns, {});
    const wep = await h.client.get('WorkloadEndpoint', 'node1-cni-c1-eth0', 'default');
    assert.deepEqual(wep.metadata.labels, {
      'projectcalico.org/namespace': 'default',
      'projectcalico.org/orchestrator': 'cni',
    });
    assert.deepEqual(wep.spec, {
      orchestrator: 'cni',
      node: 'node1',
      containerID: 'c1',
      endpoint: 'eth0',
      ipNetworks: [`${ip}/32`],
      profiles: ['net1'],
      interfaceName: 'calic1',
      mac: '02:00:00:00:00:01',
    });
    assert.deepEqual(await held(h, 'net1.c1'), [ip]);
    const attrs = await h.ipam.getAssignmentAttributes(ip);
    assert.equal(attrs?.attrs.node, 'node1');
    assert.match(attrs?.attrs.timestamp ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    const profile = await h.client.get('Profile', 'net1');
    assert.deepEqual(profile.spec, {
      ingress: [{ action: 'Allow', source: { selector: 'has(net1)' } }],
      egress: [{ action: 'Allow' }],
      labelsToApply: { net1: '' },
    });
    const w = h.dataplane.veths.get('calic1');
    assert.deepEqual(w?.addresses, [`${ip}/32`]);
    assert.deepEqual(w?.routes, ['0.0.0.0/0']);
    assert.equal(w?.mtu, 1400);
  });

  it('Kubernetes ADD with policy k8s: kns profile, pod fields, no network profile', async () => {
    const h = await harness([P4]);
    ok(await runCni(request('ADD', netconf({ policy: { type: 'k8s' } }), k8sArgs('ns1', 'web-0')), h.deps));
    const wep = await h.client.get('WorkloadEndpoint', 'node1-k8s-web--0-eth0', 'ns1');
    assert.equal(wep.spec?.pod, 'web-0');
    assert.deepEqual(wep.spec?.profiles, ['kns.ns1']);
    assert.equal(wep.metadata.labels?.['projectcalico.org/namespace'], 'ns1');
    await assert.rejects(h.client.get('Profile', 'net1'), /does not exist/);
    const attrs = await h.ipam.getAssignmentAttributes((wep.spec?.ipNetworks as string[])[0].split('/')[0]);
    assert.equal(attrs?.attrs.pod, 'web-0');
    assert.equal(attrs?.attrs.namespace, 'ns1');
  });

  it("renders the ADD result in the config's version", async () => {
    const h = await harness([P4]);
    const out = ok(await runCni(request('ADD', netconf({ cniVersion: '0.3.1' })), h.deps));
    assert.equal((out.ips as { version: string }[])[0].version, '4');
    const old = ok(
      await runCni(request('ADD', netconf({ cniVersion: '0.2.0' }), { CNI_CONTAINERID: 'c2' }), h.deps),
    );
    assert.match((old.ip4 as { ip: string }).ip, /\/32$/);
  });

  it("plain CNI ADD again is a no-op returning the endpoint's addresses", async () => {
    const h = await harness([P4]);
    const a = ok(await runCni(request('ADD', netconf()), h.deps));
    const b = ok(await runCni(request('ADD', netconf()), h.deps));
    assert.deepEqual(b.ips, a.ips);
    assert.equal(h.dataplane.calls.filter((c) => c.startsWith('setup')).length, 1);
    assert.equal((await held(h, 'net1.c1')).length, 1);
  });

  it("Kubernetes ADD again rewires and reuses the handle's address (no leak)", async () => {
    const h = await harness([P4]);
    const args = k8sArgs('ns1', 'web');
    const a = ok(await runCni(request('ADD', netconf(), args), h.deps));
    const b = ok(await runCni(request('ADD', netconf(), args), h.deps));
    assert.deepEqual(b.ips, a.ips);
    assert.equal(h.dataplane.calls.filter((c) => c.startsWith('setup')).length, 2);
    assert.equal((await held(h, 'net1.c1')).length, 1);
    assert.deepEqual(await weps(h, 'ns1'), ['node1-k8s-web-eth0']);
  });

  it('dual-stack ADD; IPv6 failing releases the IPv4 address', async () => {
    const h = await harness([P4, P6]);
    const out = ok(await runCni(request('ADD', netconf({}, { assign_ipv6: 'true' })), h.deps));
    const addrs = (out.ips as { address: string }[]).map((i) => i.address);
    assert.equal(addrs.length, 2);
    assert.match(addrs[1], /^fd00:10:244:.*\/128$/);
    assert.deepEqual(h.dataplane.veths.get('calic1')?.routes, ['0.0.0.0/0', '::/0']);

    const h2 = await harness([P4]);
    const e = err(await runCni(request('ADD', netconf({}, { assign_ipv6: 'true' })), h2.deps), 102);
    assert.match(e.msg, /failed to request IPv6 addresses|qualified ippool/);
    assert.match(e.details ?? '', /IPPool/);
    assert.deepEqual(await held(h2, 'net1.c1'), []);
    assert.equal(h2.dataplane.veths.size, 0);
    assert.deepEqual(await weps(h2), []);
  });

  it('no pool, a disabled pool, an unknown pool name: code 102 saying what to do', async () => {
    const none = await harness();
    const e = err(await runCni(request('ADD', netconf()), none.deps), 102);
    assert.match(e.details ?? '', /calicoctl create/);
    const dis = await harness([P4, pool('off', '10.50.0.0/16', { disabled: true })]);
    err(
      await runCni(request('ADD', netconf({}, { ipv4_pools: ['10.50.0.0/16'] })), dis.deps),
      102,
      /does not exist, or is not enabled/,
    );
    err(
      await runCni(request('ADD', netconf({}, { ipv4_pools: ['nope'] })), dis.deps),
      102,
      /error parsing pool "nope"/,
    );
    err(
      await runCni(request('ADD', netconf({}, { ipv4_pools: ['fd00::/48'] })), dis.deps),
      102,
      /isn't a IPv4 address/,
    );
    for (const h of [none, dis]) {
      assert.equal(h.dataplane.veths.size, 0);
      assert.deepEqual(await held(h, 'net1.c1'), []);
    }
  });

  it('pool names resolve to their CIDRs', async () => {
    const h = await harness([P4, pool('small', '10.60.0.0/24')]);
    const out = ok(await runCni(request('ADD', netconf({}, { ipv4_pools: ['small'] })), h.deps));
    assert.match((out.ips as { address: string }[])[0].address, /^10\.60\.0\./);
  });

  it('an exhausted pool: code 103, the partial-fulfilment text, nothing held', async () => {
    const h = await harness([pool('tiny', '10.70.0.0/30', { blockSize: 30 })]);
    await h.ipam.autoAssign({
      num4: 4,
      num6: 0,
      handleId: 'other',
      hostname: 'node1',
      intendedUse: 'Workload',
    });
    const e = err(await runCni(request('ADD', netconf()), h.deps), 103);
    assert.match(e.msg, /failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses/);
    assert.match(e.details ?? '', /no free addresses/);
    assert.deepEqual(await held(h, 'net1.c1'), []);
    assert.equal(h.dataplane.veths.size, 0);
    assert.deepEqual(await weps(h), []);
  });

  it('a wiring failure releases the addresses and writes no endpoint', async () => {
    const h = await harness([P4]);
    h.dataplane.failSetup = new Error('boom');
    err(await runCni(request('ADD', netconf()), h.deps), 999, /boom/);
    assert.deepEqual(await held(h, 'net1.c1'), []);
    assert.deepEqual(await weps(h), []);
  });

  it('an endpoint write failure removes the veth and releases the addresses', async () => {
    const h = await harness([P4]);
    const create = h.client.create.bind(h.client);
    h.client.create = async (r) => {
      if (r.kind === 'WorkloadEndpoint') throw new Error('etcd said no');
      return create(r);
    };
    err(await runCni(request('ADD', netconf()), h.deps), 999, /etcd said no/);
    assert.equal(h.dataplane.veths.size, 0);
    assert.ok(h.dataplane.calls.includes('removeHostVeth calic1'));
    assert.deepEqual(await held(h, 'net1.c1'), []);
  });

  it('the test hook runs after IPAM, with the block-prefixed addresses', async () => {
    const h = await harness([P4]);
    let seen: string[] = [];
    h.deps.hooks = {
      afterIpamAssigned: async (ips) => {
        seen = ips;
      },
    };
    ok(await runCni(request('ADD', netconf()), h.deps));
    assert.match(seen[0], /\/26$/);
  });

  it('refuses ADD and DEL while ClusterInformation says not ready (101), and when etcd is unreachable (11)', async () => {
    const h = await harness([P4]);
    ok(await runCni(request('ADD', netconf()), h.deps));
    const ci = await h.client.get('ClusterInformation', 'default');
    await h.client.update({ ...ci, spec: { ...ci.spec, datastoreReady: false } });
    err(
      await runCni(request('ADD', netconf(), { CNI_CONTAINERID: 'c2' }), h.deps),
      101,
      /^Calico is currently not ready to process requests$/,
    );
    err(await runCni(request('DEL', netconf()), h.deps), 101);
    assert.equal((await held(h, 'net1.c1')).length, 1);
    assert.deepEqual(await held(h, 'net1.c2'), []);
    h.breakDatastore(true);
    err(await runCni(request('DEL', netconf()), h.deps), 11, /could not connect/);
    assert.ok(h.dataplane.veths.has('calic1'), 'DEL must not unwire when it cannot release the address');
  });

  it('DEL releases the handle and the legacy one, deletes the endpoint and the interface; again is fine', async () => {
    const h = await harness([P4]);
    ok(await runCni(request('ADD', netconf()), h.deps));
    await h.ipam.autoAssign({ num4: 1, num6: 0, handleId: 'c1', hostname: 'node1', intendedUse: 'Workload' });
    ok(await runCni(request('DEL', netconf()), h.deps));
    assert.deepEqual(await held(h, 'net1.c1'), []);
    assert.deepEqual(await held(h, 'c1'), []);
    assert.deepEqual(await weps(h), []);
    assert.equal(h.dataplane.veths.size, 0);
    ok(await runCni(request('DEL', netconf()), h.deps));
    ok(await runCni(request('DEL', netconf(), { CNI_CONTAINERID: 'never-added', CNI_NETNS: '' }), h.deps));
  });

  it('Kubernetes DEL for an old sandbox keeps the endpoint of the new one', async () => {
    const h = await harness([P4]);
    const args = k8sArgs('ns1', 'web');
    ok(await runCni(request('ADD', netconf(), { ...args, CNI_CONTAINERID: 'new' }), h.deps));
    await h.ipam.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'net1.old',
      hostname: 'node1',
      intendedUse: 'Workload',
    });
    const res = await runCni(
      request('DEL', netconf(), { ...args, CNI_CONTAINERID: 'old', CNI_NETNS: '/run/netns/gone' }),
      h.deps,
    );
    ok(res);
    assert.match(res.stderr ?? '', /belongs to container new: keeping it/);
    assert.deepEqual(await weps(h, 'ns1'), ['node1-k8s-web-eth0']);
    assert.deepEqual(await held(h, 'net1.old'), []);
    assert.equal((await held(h, 'net1.new')).length, 1);
    assert.ok(h.dataplane.veths.size === 1, 'the new sandbox keeps its veth');
  });

  it("Kubernetes DEL with no endpoint and no sandbox leaves the pod's veth name to its newer sandbox", async () => {
    const h = await harness([P4]);
    const args = k8sArgs('ns1', 'web');
    ok(await runCni(request('ADD', netconf(), { ...args, CNI_CONTAINERID: 'new' }), h.deps));
    // The newer sandbox's ADD has wired but not yet written its endpoint.
    await h.client.delete('WorkloadEndpoint', 'node1-k8s-web-eth0', 'ns1');
    ok(
      await runCni(
        request('DEL', netconf(), { ...args, CNI_CONTAINERID: 'old', CNI_NETNS: '/run/netns/gone' }),
        h.deps,
      ),
    );
    assert.equal(h.dataplane.veths.size, 1);
    // Plain CNI veth names are per container: a lingering one is removed.
    ok(await runCni(request('ADD', netconf(), { CNI_CONTAINERID: 'solo' }), h.deps));
    ok(
      await runCni(
        request('DEL', netconf(), { CNI_CONTAINERID: 'solo', CNI_NETNS: '/run/netns/gone' }),
        h.deps,
      ),
    );
    assert.ok(!h.dataplane.veths.has('calisolo'));
  });

  it('MTU comes from the MTU file when the config has none; require_mtu_file is enforced', async () => {
    const h = await harness([P4]);
    h.files.set('/var/lib/calico/mtu', '1410\n');
    ok(await runCni(request('ADD', netconf()), h.deps));
    assert.equal(h.dataplane.veths.get('calic1')?.mtu, 1410);
    h.files.clear();
    err(
      await runCni(request('ADD', netconf({ require_mtu_file: true }), { CNI_CONTAINERID: 'c2' }), h.deps),
      100,
      /failed to read MTU file/,
    );
  });
});

describe('runCni: options and logging', () => {
  it('passes allow_ip_forwarding, num_queues and the interface prefix to the dataplane', async () => {
    const h = await harness([P4]);
    const conf = netconf({
      container_settings: { allow_ip_forwarding: true },
      num_queues: 3,
      device_type: 'netkit',
    });
    const res = await runCni(request('ADD', conf, { FELIX_INTERFACEPREFIX: 'tap' }), h.deps);
    ok(res);
    const w = h.dataplane.veths.get('tapc1');
    assert.equal(w?.allowIpForwarding, true);
    assert.equal(w?.numQueues, 3);
    assert.match(res.stderr ?? '', /netkit is not supported here; using veth/);
  });

  it('log_level filters the lines; log_file_path gets them appended', async () => {
    const h = await harness([P4]);
    const file = `/tmp/cts-unit-cni-log-${process.pid}/cni.log`;
    const { rmSync, readFileSync } = await import('node:fs');
    rmSync(file, { force: true });
    try {
      const quiet = await runCni(
        request('ADD', netconf({ log_level: 'error', log_file_path: file })),
        h.deps,
      );
      assert.equal(quiet.stderr, '');
      const loud = await runCni(request('DEL', netconf({ log_level: 'debug', log_file_path: file })), h.deps);
      assert.match(loud.stderr ?? '', /\[DEBUG\] calico DEL \(cniVersion 1\.0\.0\) ContainerID="c1"/);
      assert.match(readFileSync(file, 'utf8'), /\[INFO\] released handle net1\.c1/);
    } finally {
      rmSync(`/tmp/cts-unit-cni-log-${process.pid}`, { recursive: true, force: true });
    }
  });
});

describe('runCni: CHECK, GC, STATUS', () => {
  it('CHECK passes after ADD and reports endpoint, IPAM and dataplane drift (105)', async () => {
    const h = await harness([P4]);
    const add = await runCni(request('ADD', netconf()), h.deps);
    const prevResult = JSON.parse(add.stdout) as Record<string, unknown>;
    ok(await runCni(request('CHECK', netconf({ prevResult })), h.deps));
    err(await runCni(request('CHECK', netconf()), h.deps), 7, /required prevResult missing/);
    h.dataplane.checkProblems = ['host route 10.244.0.1/32 dev calic1 scope link is missing'];
    err(await runCni(request('CHECK', netconf({ prevResult })), h.deps), 105, /host route .* is missing/);
    h.dataplane.checkProblems = [];
    await h.ipam.releaseByHandle('net1.c1');
    err(
      await runCni(request('CHECK', netconf({ prevResult })), h.deps),
      105,
      /IPAM handle net1\.c1 does not hold/,
    );
    await h.client.delete('WorkloadEndpoint', 'node1-cni-c1-eth0', 'default');
    err(
      await runCni(request('CHECK', netconf({ prevResult })), h.deps),
      105,
      /WorkloadEndpoint default\/node1-cni-c1-eth0 does not exist/,
    );
  });

  it("GC releases this node's handles of this network that are not valid attachments", async () => {
    const h = await harness([P4]);
    for (const id of ['keep', 'stale']) {
      ok(await runCni(request('ADD', netconf(), { CNI_CONTAINERID: id }), h.deps));
    }
    await h.client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: 'node2' },
      spec: {},
    });
    await h.ipam.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'net1.remote',
      hostname: 'node2',
      intendedUse: 'Workload',
      attrs: { node: 'node2' },
    });
    await h.ipam.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'net2.other',
      hostname: 'node1',
      intendedUse: 'Workload',
      attrs: { node: 'node1' },
    });
    const gc = netconf({
      cniVersion: '1.1.0',
      'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }],
    });
    ok(await runCni(request('GC', gc, { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' }), h.deps));
    assert.equal((await held(h, 'net1.keep')).length, 1);
    assert.deepEqual(await held(h, 'net1.stale'), []);
    assert.equal((await held(h, 'net1.remote')).length, 1);
    assert.equal((await held(h, 'net2.other')).length, 1);
  });

  it('STATUS: ready with a usable pool, else code 50', async () => {
    const h = await harness([P4]);
    const conf = netconf({ cniVersion: '1.1.0' });
    assert.deepEqual(await runCni(request('STATUS', conf), h.deps), { stdout: '', exitCode: 0, stderr: '' });
    err(
      await runCni(request('STATUS', netconf({ cniVersion: '1.1.0' }, { assign_ipv6: 'true' })), h.deps),
      50,
      /no enabled IPv6 IPPool/,
    );
    h.breakDatastore(true);
    err(await runCni(request('STATUS', conf), h.deps), 50, /plugin not available/);
  });
});

describe('runCni: calico-ipam plugin', () => {
  it('ADD returns block-prefixed addresses and one route each; DEL releases', async () => {
    const h = await harness([P4, P6]);
    const out = ok(
      await runCni(request('ADD', netconf({}, { assign_ipv6: 'true' }), {}, 'calico-ipam'), h.deps),
    );
    const ips = out.ips as { address: string }[];
    assert.match(ips[0].address, /\/26$/);
    assert.match(ips[1].address, /\/122$/);
    assert.deepEqual(
      out.routes,
      ips.map((i) => ({ dst: i.address })),
    );
    assert.equal(out.interfaces, undefined);
    ok(await runCni(request('DEL', netconf(), {}, 'calico-ipam'), h.deps));
    assert.deepEqual(await held(h, 'net1.c1'), []);
  });

  it('IP= assigns that address; a taken one is an error', async () => {
    const h = await harness([P4]);
    const out = ok(
      await runCni(request('ADD', netconf(), { CNI_ARGS: 'IP=10.244.3.7' }, 'calico-ipam'), h.deps),
    );
    assert.deepEqual(out.ips, [{ address: '10.244.3.7/32' }]);
    const again = await runCni(
      request('ADD', netconf(), { CNI_ARGS: 'IP=10.244.3.7', CNI_CONTAINERID: 'c2' }, 'calico-ipam'),
      h.deps,
    );
    assert.equal(again.exitCode, 1);
    err(
      await runCni(
        request('ADD', netconf(), { CNI_ARGS: 'IP=10.99.0.1', CNI_CONTAINERID: 'c3' }, 'calico-ipam'),
        h.deps,
      ),
      102,
    );
    err(
      await runCni(
        request('ADD', netconf(), { CNI_ARGS: 'IP=nonsense', CNI_CONTAINERID: 'c4' }, 'calico-ipam'),
        h.deps,
      ),
      4,
      /invalid IP format/,
    );
  });

  it("CHECK: the handle must still hold prevResult's addresses", async () => {
    const h = await harness([P4]);
    const add = await runCni(request('ADD', netconf(), {}, 'calico-ipam'), h.deps);
    const prevResult = JSON.parse(add.stdout) as Record<string, unknown>;
    ok(await runCni(request('CHECK', netconf({ prevResult }), {}, 'calico-ipam'), h.deps));
    await h.ipam.releaseByHandle('net1.c1');
    err(
      await runCni(request('CHECK', netconf({ prevResult }), {}, 'calico-ipam'), h.deps),
      105,
      /does not hold/,
    );
  });

  it('uses the datastore named by the config', async () => {
    const h = await harness([P4]);
    let seen = '';
    const ds = h.deps.datastore.bind(h.deps);
    h.deps.datastore = async (s) => {
      seen = s.etcdEndpoints ?? '';
      return ds(s);
    };
    ok(await runCni(request('ADD', netconf(), {}, 'calico-ipam'), h.deps));
    assert.equal(seen, ETCD);
  });
});
