/**
 * Failures of the real `calico` plugin under libcni: IPAM that cannot serve, bad configuration,
 * route conflicts, etcd going away, and the plugin killed half-way. Each failure must leave nothing
 * behind (or exactly the documented leak) and say what to do.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PAUSE_AFTER_IPAM_ENV } from '../../../src/cni/main.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  allWeps,
  assertNothingLeft,
  caliLinks,
  handles,
  heldBy,
  pool,
  restartEtcd,
  startBed,
  type Bed,
} from './fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForFile(path: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.endsWith('\n')) return text;
    }
    await sleep(20);
  }
  throw new Error(`${path} did not appear`);
}

describe('calico CNI plugin failures', { timeout: 300_000 }, () => {
  let bed: Bed;

  before(async () => {
    bed = await startBed('flt', [
      pool('p4', '10.244.0.0/16'),
      pool('tiny', '10.99.0.0/30', { blockSize: 30 }),
      pool('off', '10.98.0.0/24', { disabled: true }),
    ]);
    bed.tool.writeConflist('net1', [bed.calico()]);
    bed.tool.writeConflist('tiny', [bed.calico({}, { ipv4_pools: ['tiny'] })]);
    bed.tool.writeConflist('nomatch', [bed.calico({}, { ipv4_pools: ['10.97.0.0/24'] })]);
    bed.tool.writeConflist('disabled', [bed.calico({}, { ipv4_pools: ['10.98.0.0/24'] })]);
    bed.tool.writeConflist('badmtu', [bed.calico({ mtu: '1400' })]);
    bed.tool.writeConflist('noipam', [{ ...bed.calico(), ipam: undefined }]);
    bed.tool.writeConflist('noetcd', [{ ...bed.calico(), etcd_endpoints: undefined }]);
    bed.tool.writeConflist('future', [bed.calico()], '9.9.9');
  });
  after(async () => {
    await bed?.close();
    await assertNoLeaks();
  });

  it('an exhausted pool: code 103 with the partial-fulfilment text and what to do; nothing left', async () => {
    const pod = await bed.pod('ex');
    await bed.ipam.autoAssign({
      num4: 4,
      num6: 0,
      handleId: 'filler',
      hostname: 'node1',
      intendedUse: 'Workload',
      ipv4Pools: ['10.99.0.0/30'],
    });
    const add = await bed.tool.add('tiny', pod, { containerId: 'ex1' });
    assert.equal(add.code, 1);
    assert.equal(add.error?.code, 103, add.stderr);
    assert.match(
      add.error?.msg ?? '',
      /failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses/,
    );
    assert.match(add.error?.details ?? '', /add an IPPool|calicoctl ipam check/);
    await assertNothingLeft(bed, [pod], 'after an exhausted pool', ['filler']);
    await bed.ipam.releaseByHandle('filler');
  });

  it('no pool matches, or the pool is disabled: code 102 saying what to do; nothing left', async () => {
    const pod = await bed.pod('np');
    for (const [net, msg] of [
      ['nomatch', /the given pool \(10\.97\.0\.0\/24\) does not exist, or is not enabled/],
      ['disabled', /the given pool \(10\.98\.0\.0\/24\) does not exist, or is not enabled/],
    ] as const) {
      const add = await bed.tool.add(net, pod, { containerId: `np-${net}` });
      assert.equal(add.error?.code, 102, add.stderr);
      assert.match(add.error?.msg ?? '', msg);
      assert.match(add.error?.details ?? '', /create an enabled IPPool/);
    }
    await assertNothingLeft(bed, [pod], 'after pool errors');
  });

  it('invalid or incomplete netconf and an unknown cniVersion: clear CNI errors', async () => {
    const pod = await bed.pod('cf');
    const mtu = await bed.tool.add('badmtu', pod, { containerId: 'cf1' });
    assert.equal(mtu.error?.code, 7);
    assert.match(mtu.error?.msg ?? '', /"mtu" must be a whole number, got string "1400"/);
    const noipam = await bed.tool.add('noipam', pod, { containerId: 'cf2' });
    assert.equal(noipam.error?.code, 7);
    assert.match(noipam.error?.msg ?? '', /"ipam.type" is missing/);
    const noetcd = await bed.tool.add('noetcd', pod, { containerId: 'cf3' });
    assert.equal(noetcd.error?.code, 7);
    assert.match(noetcd.error?.details ?? '', /etcd_endpoints/);
    const future = await bed.tool.add('future', pod, { containerId: 'cf4' });
    assert.equal(future.code, 1);
    assert.match(future.stdout + future.stderr, /9\.9\.9/);
    // Straight to the plugin too (a runtime that does not check versions itself).
    const direct = await bed.tool.plugin(
      'calico',
      { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'cf5', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' },
      JSON.stringify({ ...bed.calico(), cniVersion: '9.9.9', name: 'x' }),
    );
    assert.equal(direct.error?.code, 1);
    assert.match(direct.error?.msg ?? '', /^unsupported CNI version "9\.9\.9"$/);
    const noEnv = await bed.tool.plugin(
      'calico',
      { CNI_COMMAND: 'ADD' },
      JSON.stringify({ ...bed.calico(), cniVersion: '1.0.0', name: 'x' }),
    );
    assert.equal(noEnv.error?.code, 4);
    await assertNothingLeft(bed, [pod], 'after config errors');
  });

  it('VERSION, STATUS and GC straight from the plugin', async () => {
    const v = await bed.tool.plugin('calico', { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    assert.deepEqual(v.result?.supportedVersions, [
      '0.1.0',
      '0.2.0',
      '0.3.0',
      '0.3.1',
      '0.4.0',
      '1.0.0',
      '1.1.0',
    ]);
    const conf = JSON.stringify({ ...bed.calico(), cniVersion: '1.1.0', name: 'net1' });
    const st = await bed.tool.plugin('calico', { CNI_COMMAND: 'STATUS' }, conf);
    assert.equal(st.code, 0, st.stdout + st.stderr);
    const pod = await bed.pod('gc');
    assert.equal((await bed.tool.add('net1', pod, { containerId: 'gc-stale' })).code, 0);
    // The runtime forgot the container without DEL; GC with no valid attachments releases its address.
    const gc = await bed.tool.plugin(
      'calico',
      { CNI_COMMAND: 'GC' },
      JSON.stringify({ ...bed.calico(), cniVersion: '1.1.0', name: 'net1', 'cni.dev/valid-attachments': [] }),
    );
    assert.equal(gc.code, 0, gc.stdout + gc.stderr);
    assert.deepEqual(await heldBy(bed, 'net1.gc-stale'), []);
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'gc-stale' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after GC');
  });

  it('a host route to the address through another interface: code 106, nothing left, address released', async () => {
    const pod = await bed.pod('rt');
    await bed.host.ip('route', 'add', '10.244.200.5/32', 'dev', 'uplink-peer');
    try {
      const add = await bed.tool.add('net1', pod, { containerId: 'rt1', args: { IP: '10.244.200.5' } });
      assert.equal(add.error?.code, 106, add.stderr);
      assert.match(
        add.error?.msg ?? '',
        /already exists for an interface other than 'calirt1'.*Iface: uplink-peer/,
      );
      assert.match(add.error?.details ?? '', /ip route show 10\.244\.200\.5\/32/);
      await assertNothingLeft(bed, [pod], 'after a route conflict');
    } finally {
      await bed.host.ip('route', 'del', '10.244.200.5/32', 'dev', 'uplink-peer');
    }
  });

  it('a failure inside the pod namespace (eth0 taken): code 104, no veth, address released', async () => {
    const pod = await bed.pod('pe');
    await pod.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0');
    try {
      const add = await bed.tool.add('net1', pod, { containerId: 'pe1' });
      assert.equal(add.error?.code, 104, add.stderr);
      assert.match(
        add.error?.msg ?? '',
        /failed to create the veth pair \(eth0 in .*, calipe1 on the host\): .*File exists/,
      );
      assert.match(add.error?.details ?? '', /already exists in the pod's namespace/);
      assert.deepEqual(await caliLinks(bed.host), []);
      assert.deepEqual(await handles(bed), []);
      assert.deepEqual(await allWeps(bed), []);
    } finally {
      await pod.ip('link', 'del', 'eth0');
    }
  });

  it('etcd down before ADD: code 11, no veth, no address; ADD succeeds once etcd is back', async () => {
    const pod = await bed.pod('ed');
    await bed.etcd.kill();
    try {
      const add = await bed.tool.add('net1', pod, { containerId: 'ed1' });
      assert.equal(add.error?.code, 11, add.stderr);
      assert.match(add.error?.details ?? '', /etcd/);
      assert.deepEqual(await caliLinks(bed.host), []);
    } finally {
      await restartEtcd(bed);
    }
    await assertNothingLeft(bed, [pod], 'after ADD with etcd down');
    const retry = await bed.tool.add('net1', pod, { containerId: 'ed1' });
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'ed1' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after the retried pod is deleted');
  });

  it('etcd lost right after IPAM: ADD fails with no veth; the held address is reused by the retry, not leaked', async () => {
    const pod = await bed.pod('el');
    const marker = join(bed.tool.dir, 'pause-el');
    const pending = bed.tool.add('net1', pod, {
      containerId: 'el1',
      env: { [PAUSE_AFTER_IPAM_ENV]: marker },
    });
    const [, assigned] = (await waitForFile(marker)).trim().split('\n');
    await bed.etcd.kill();
    writeFileSync(`${marker}.continue`, '');
    let add;
    try {
      add = await pending;
    } finally {
      await restartEtcd(bed);
    }
    assert.equal(add.code, 1);
    assert.equal(add.error?.code, 11, add.stderr);
    assert.deepEqual(await caliLinks(bed.host), [], 'no veth after the failed ADD');
    assert.deepEqual(await allWeps(bed), []);
    // With etcd gone the rollback could not release: the address is held by the container's handle...
    assert.deepEqual(await heldBy(bed, 'net1.el1'), [assigned.split('/')[0]]);
    // ...so the runtime's retry of the same container gets that very address back.
    const retry = await bed.tool.add('net1', pod, { containerId: 'el1' });
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal(
      (retry.result as { ips: { address: string }[] }).ips[0].address,
      `${assigned.split('/')[0]}/32`,
    );
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'el1' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after the retried pod is deleted');
  });

  it('etcd hung during DEL: DEL refuses (code 11) and keeps everything; succeeds once etcd answers', async () => {
    const pod = await bed.pod('eh');
    const add = await bed.tool.add('net1', pod, { containerId: 'eh1' });
    assert.equal(add.code, 0, add.stderr);
    await bed.etcd.pause();
    let del;
    try {
      del = await bed.tool.del('net1', pod, { containerId: 'eh1' });
    } finally {
      await bed.etcd.resume();
    }
    assert.equal(del.error?.code, 11, del.stderr);
    assert.equal((await heldBy(bed, 'net1.eh1')).length, 1, 'the address stays held');
    assert.deepEqual(await caliLinks(bed.host), ['calieh1'], 'the pod keeps its network');
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'eh1' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after DEL with etcd back');
  });

  it('plugin SIGKILLed after IPAM: the address stays held with no endpoint (what ipam check reports); DEL releases it', async () => {
    const pod = await bed.pod('kl');
    const marker = join(bed.tool.dir, 'pause-kl');
    const pending = bed.tool.add('net1', pod, {
      containerId: 'kl1',
      env: { [PAUSE_AFTER_IPAM_ENV]: marker },
    });
    const [pid, assigned] = (await waitForFile(marker)).trim().split('\n');
    process.kill(Number(pid), 'SIGKILL');
    const add = await pending;
    assert.equal(add.code, 1);
    assert.match(add.stderr, /killed/);
    const ip = assigned.split('/')[0];
    assert.deepEqual(await heldBy(bed, 'net1.kl1'), [ip]);
    assert.deepEqual(await allWeps(bed), [], 'no WorkloadEndpoint: the leak calicoctl ipam check reports');
    const attrs = await bed.ipam.getAssignmentAttributes(ip);
    assert.equal(attrs?.handleId, 'net1.kl1');
    assert.deepEqual(await caliLinks(bed.host), []);
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'kl1' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after DEL of the killed ADD');
  });
});
