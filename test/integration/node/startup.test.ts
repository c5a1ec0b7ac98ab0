import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { NodeSpec, Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';
import { cidrContainsIP, parseCIDR, parseIP } from '../../../src/net/index.js';
import { parseNodeConfig } from '../../../src/node/config.js';
import {
  isStartupError,
  memoryLog,
  runStartup,
  type Iface,
  type StartupDeps,
  type StartupResult,
} from '../../../src/node/startup/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

function iface(ifindex: number, ifname: string, ...addrs: string[]): Iface {
  return {
    ifindex,
    ifname,
    addr_info: addrs.map((a) => {
      const [local, len] = a.split('/');
      return {
        family: local.includes(':') ? 'inet6' : 'inet',
        local,
        prefixlen: Number(len),
        scope: 'global',
      };
    }),
  };
}

const HOST_A: Iface[] = [
  iface(1, 'lo', '127.0.0.1/8'),
  iface(2, 'eth0', '10.0.0.5/24', 'fd00:a::5/64'),
  iface(3, 'docker0', '172.17.0.1/16'),
];
const HOST_B: Iface[] = [iface(1, 'lo', '127.0.0.1/8'), iface(2, 'eth0', '10.0.0.6/24')];

describe('calico-node startup on a real etcd', () => {
  let etcd: EtcdHandle;
  let backend: EtcdBackend;
  let client: Client;
  let ipam: IPAMClient;

  before(async () => {
    etcd = await startEtcd();
    backend = new EtcdBackend({ endpoints: etcd.endpoints });
    client = new Client(backend, { poolDeleteDelayMs: 20 });
    ipam = new IPAMClient(client);
    client.ipamHooks = ipam.clientHooks();
  });
  after(async () => {
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });
  beforeEach(async () => {
    await backend.deletePrefix('/calico/');
  });

  interface RunOpts {
    ifaces?: Iface[];
    withIpam?: boolean;
    ipv6?: boolean;
    route?: (dst: string) => string | undefined;
  }
  async function run(
    env: Record<string, string>,
    opts: RunOpts = {},
  ): Promise<StartupResult & { log: ReturnType<typeof memoryLog>; ifaceCalls: number }> {
    const cfg = parseNodeConfig({ NODENAME: 'node-a', ...env }, { readFile: () => undefined });
    const log = memoryLog();
    let ifaceCalls = 0;
    const deps: StartupDeps = {
      client,
      ipam: opts.withIpam ? ipam : undefined,
      interfaces: async () => {
        ifaceCalls++;
        return opts.ifaces ?? HOST_A;
      },
      routeGet: async (dst) => opts.route?.(dst),
      ipv6Supported: async () => opts.ipv6 ?? true,
      randomBytes: (n) => Uint8Array.from({ length: n }, (_, i) => 0x11 * (i + 1)),
      version: 'v9.9.9',
      log,
    };
    const r = await runStartup(cfg, deps);
    return { ...r, log, ifaceCalls };
  }

  const nodeSpec = async (name = 'node-a') => (await client.get('Node', name)).spec as NodeSpec;
  const revision = async () => (await backend.list('/calico/')).revision;
  const spec = async (kind: string, name: string) =>
    (await client.get(kind, name)).spec as Record<string, unknown>;

  it('first node: Node, default pools, ClusterInformation, Felix/BGP/IPAM configuration', async () => {
    const r = await run({ CLUSTER_TYPE: 'k8s,bgp', IP: 'autodetect' });
    assert.equal(r.nodeWrite, 'created');
    assert.equal(r.ipv4Address, '10.0.0.5/24');
    const n = await nodeSpec();
    assert.deepEqual(n.bgp, { ipv4Address: '10.0.0.5/24' });
    assert.deepEqual(n.interfaces, [{ name: 'eth0', addresses: ['10.0.0.5'] }]);

    const line = r.log.entries.find((e) => e.msg.startsWith('Using autodetected IPv4 address'));
    assert.ok(line, 'the chosen address is logged');
    assert.equal(line.fields.address, '10.0.0.5/24');
    assert.equal(line.fields.interface, 'eth0');
    assert.equal(line.fields.method, 'first-found');
    assert.match(String(line.fields.reason), /first global unicast IPv4 address on eth0/);

    assert.deepEqual(r.poolsCreated, ['default-ipv4-ippool', 'default-ipv6-ippool']);
    const v4 = await spec('IPPool', 'default-ipv4-ippool');
    assert.equal(v4.cidr, '192.168.0.0/16');
    assert.equal(v4.natOutgoing, true);
    assert.equal(v4.blockSize, 26);
    assert.equal(v4.ipipMode, 'Never');
    assert.equal(v4.vxlanMode, 'Never');
    assert.equal(v4.nodeSelector, 'all()');
    const v6 = await spec('IPPool', 'default-ipv6-ippool');
    assert.equal(v6.cidr, 'fd11:2233:4455::/48');
    assert.ok(!v6.natOutgoing);
    assert.equal(v6.blockSize, 122);

    const ci = await spec('ClusterInformation', 'default');
    assert.equal(ci.clusterType, 'k8s,bgp');
    assert.equal(ci.calicoVersion, 'v9.9.9');
    assert.equal(ci.datastoreReady, true);
    assert.match(String(ci.clusterGUID), /^[0-9a-f]{32}$/);
    for (const t of ['default', 'kube-admin', 'kube-baseline']) await client.get('Tier', t);

    const felix = await spec('FelixConfiguration', 'default');
    assert.equal(felix.reportingInterval, '0s');
    assert.equal(felix.logSeverityScreen, 'Info');
    assert.equal((await spec('FelixConfiguration', 'node.node-a')).defaultEndpointToHostAction, 'Return');
    await client.get('BGPConfiguration', 'default');
    const ipamCfg = await spec('IPAMConfiguration', 'default');
    assert.equal(ipamCfg.autoAllocateBlocks, true);
    assert.equal(ipamCfg.strictAffinity, false);
  });

  it('a second run changes nothing (same etcd revision)', async () => {
    await run({ CLUSTER_TYPE: 'k8s,bgp', IP: 'autodetect', AS: '65001' });
    const rev = await revision();
    const again = await run({ CLUSTER_TYPE: 'k8s,bgp', IP: 'autodetect', AS: '65001' });
    assert.equal(again.nodeWrite, 'unchanged');
    assert.deepEqual(again.poolsCreated, []);
    assert.equal(await revision(), rev);
  });

  it('a second node unions the cluster types and leaves shared objects alone', async () => {
    await run({ CLUSTER_TYPE: 'k8s,bgp' });
    const felixBefore = await client.get('FelixConfiguration', 'default');
    await run({ NODENAME: 'node-b', CLUSTER_TYPE: 'bgp,typha' }, { ifaces: HOST_B });
    assert.equal((await spec('ClusterInformation', 'default')).clusterType, 'k8s,bgp,typha');
    assert.equal(
      (await client.get('FelixConfiguration', 'default')).metadata.resourceVersion,
      felixBefore.metadata.resourceVersion,
    );
    assert.equal((await spec('FelixConfiguration', 'node.node-b')).defaultEndpointToHostAction, 'Return');
    assert.equal((await nodeSpec('node-b')).bgp?.ipv4Address, '10.0.0.6/24');
    assert.equal((await client.list('IPPool')).items.length, 2);
  });

  it('FelixConfiguration default: only unset fields are filled', async () => {
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: { logSeverityScreen: 'Debug' },
    });
    await run({});
    const felix = await spec('FelixConfiguration', 'default');
    assert.equal(felix.logSeverityScreen, 'Debug');
    assert.equal(felix.reportingInterval, '0s');
  });

  it('no default pool for a family that already has a pool', async () => {
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'mine' },
      spec: { cidr: '10.50.0.0/16' },
    });
    const r = await run({});
    assert.deepEqual(r.poolsCreated, ['default-ipv6-ippool']);
    assert.deepEqual((await client.list('IPPool')).items.map((p) => p.metadata.name).sort(), [
      'default-ipv6-ippool',
      'mine',
    ]);
  });

  it('192.168.0.0/16 holding a host address: the first free 172.16-31.0.0/16', async () => {
    const r = await run(
      {},
      { ifaces: [iface(2, 'eth0', '192.168.1.10/24'), iface(3, 'docker0', '172.16.0.1/16')] },
    );
    assert.equal((await spec('IPPool', 'default-ipv4-ippool')).cidr, '172.17.0.0/16');
    const line = r.log.entries.find((e) => e.msg.startsWith('Created default IPv4 pool'));
    assert.match(String(line?.fields.reason), /192\.168\.1\.10 is inside 192\.168\.0\.0\/16/);
  });

  it('CALICO_IPV4POOL_* settings and no IPv6 pool without kernel IPv6 or with FELIX_IPV6SUPPORT=false', async () => {
    await run(
      {
        CALICO_IPV4POOL_CIDR: '10.244.0.0/16',
        CALICO_IPV4POOL_IPIP: 'crosssubnet',
        CALICO_IPV4POOL_BLOCK_SIZE: '28',
        CALICO_IPV4POOL_NAT_OUTGOING: 'false',
        CALICO_IPV4POOL_NODE_SELECTOR: 'has(edge)',
      },
      { ipv6: false },
    );
    const v4 = await spec('IPPool', 'default-ipv4-ippool');
    assert.deepEqual(
      [v4.cidr, v4.ipipMode, v4.blockSize, Boolean(v4.natOutgoing), v4.nodeSelector],
      ['10.244.0.0/16', 'CrossSubnet', 28, false, 'has(edge)'],
    );
    assert.equal((await client.list('IPPool')).items.length, 1);
    await backend.deletePrefix('/calico/');
    const r = await run({ FELIX_IPV6SUPPORT: 'false' });
    assert.deepEqual(r.poolsCreated, ['default-ipv4-ippool']);
  });

  it('NO_DEFAULT_POOLS: no pools at all', async () => {
    const r = await run({ NO_DEFAULT_POOLS: 'true' });
    assert.deepEqual(r.poolsCreated, []);
    assert.equal((await client.list('IPPool')).items.length, 0);
  });

  it('an IPv4 address another Node has aborts startup with a clear error', async () => {
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: 'other' },
      spec: { bgp: { ipv4Address: '10.0.0.5/16' } },
    });
    await assert.rejects(run({}), (e: unknown) => {
      assert.ok(isStartupError(e, 'ipConflict'));
      assert.match(
        e.message,
        /conflicting node detected: IPv4 address 10\.0\.0\.5\/24 is already in use by node other/,
      );
      assert.match(e.hint ?? '', /DISABLE_NODE_IP_CHECK/);
      return true;
    });
    await assert.rejects(client.get('Node', 'node-a'), /does not exist/);
    const ok = await run({ DISABLE_NODE_IP_CHECK: 'true' });
    assert.equal(ok.ipv4Address, '10.0.0.5/24');
  });

  it('a conflicting autodetected address is cleared from our existing Node', async () => {
    await run({ IP: 'autodetect' }, { ifaces: HOST_B });
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: 'other' },
      spec: { bgp: { ipv4Address: '10.0.0.5/24' } },
    });
    await assert.rejects(run({ IP: 'autodetect' }), (e: unknown) => isStartupError(e, 'ipConflict'));
    assert.equal((await nodeSpec()).bgp, undefined);
  });

  it('AS from the environment (plain and dotted)', async () => {
    await run({ AS: '65001' });
    assert.equal((await nodeSpec()).bgp?.asNumber, 65001);
    await run({ AS: '1.10' });
    assert.equal((await nodeSpec()).bgp?.asNumber, 65546);
    await run({});
    assert.equal((await nodeSpec()).bgp?.asNumber, 65546, 'unset AS keeps the Node value');
  });

  it('CALICO_NETWORKING_BACKEND=none: no IP detection, no BGP data, Node still registered', async () => {
    const r = await run({
      CALICO_NETWORKING_BACKEND: 'none',
      AS: '65001',
      CALICO_IPV4POOL_CIDR: '10.244.0.0/16',
    });
    assert.equal(r.ifaceCalls, 0);
    assert.equal((await nodeSpec()).bgp, undefined);
    assert.equal(r.ipv4Address, undefined);
  });

  it('IP empty keeps the Node address; IP=autodetect replaces it', async () => {
    await run({ IP: '10.0.0.5/24' });
    const kept = await run({}, { ifaces: HOST_B });
    assert.equal(kept.ipv4Address, '10.0.0.5/24');
    assert.ok(
      kept.log.entries.some(
        (e) => e.level === 'warn' && /Unable to confirm IPv4 address 10\.0\.0\.5/.test(e.msg),
      ),
    );
    const re = await run({ IP: 'autodetect' }, { ifaces: HOST_B });
    assert.equal(re.ipv4Address, '10.0.0.6/24');
    assert.equal(re.nodeWrite, 'updated');
  });

  it('explicit bare IPv4 takes its interface prefix, else /32', async () => {
    assert.equal((await run({ IP: '10.0.0.5' })).ipv4Address, '10.0.0.5/24');
    const r = await run({ IP: '10.9.9.9' });
    assert.equal(r.ipv4Address, '10.9.9.9/32');
    assert.ok(r.log.entries.some((e) => e.level === 'warn' && /Unable to confirm/.test(e.msg)));
  });

  it('IPv6: only with IP6=autodetect, or explicit; interfaces then carry both families', async () => {
    assert.equal((await run({})).ipv6Address, undefined);
    const r = await run({ IP6: 'autodetect', IP: 'autodetect' });
    assert.equal(r.ipv6Address, 'fd00:a::5/64');
    assert.deepEqual((await nodeSpec()).interfaces, [{ name: 'eth0', addresses: ['10.0.0.5', 'fd00:a::5'] }]);
    assert.equal((await run({ IP6: 'fd00:b::1' })).ipv6Address, 'fd00:b::1/128');
  });

  it('can-reach uses the kernel route lookup', async () => {
    const r = await run(
      { IP_AUTODETECTION_METHOD: 'can-reach=198.51.100.1' },
      { ifaces: [iface(2, 'eth0', '10.0.0.5/24'), iface(3, 'eth1', '10.1.0.5/24')], route: () => '10.0.0.5' },
    );
    assert.equal(r.ipv4Address, '10.0.0.5/24');
  });

  it('nothing to autodetect and no address on the Node: a clear error, nothing written', async () => {
    await assert.rejects(run({ IP_AUTODETECTION_METHOD: 'interface=ens9' }), (e: unknown) => {
      assert.ok(isStartupError(e, 'autodetectFailed'));
      assert.match(e.message, /failed to autodetect an IPv4 address: no interface matching ens9/);
      assert.match(e.hint ?? '', /IP_AUTODETECTION_METHOD/);
      return true;
    });
    assert.equal((await backend.list('/calico/')).items.length, 0);
  });

  it('CALICO_K8S_NODE_REF becomes orchRefs', async () => {
    await run({ CALICO_K8S_NODE_REF: 'k8s-a' });
    const n = await nodeSpec();
    assert.deepEqual(n.orchRefs, [{ nodeName: 'k8s-a', orchestrator: 'k8s' }]);
    // Calico records interfaces only for families whose IP/IP6 is set (not empty, not none).
    assert.equal(n.interfaces, undefined);
    assert.equal(n.bgp?.ipv4Address, '10.0.0.5/24');
  });

  it('VXLAN pool: a tunnel address through IPAM; idempotent; released when the pool stops needing it', async () => {
    const r = await run({ CALICO_IPV4POOL_VXLAN: 'Always' }, { withIpam: true });
    const tunnel = r.tunnelAddresses?.vxlan;
    assert.ok(tunnel, 'a VXLAN tunnel address');
    assert.ok(cidrContainsIP(parseCIDR('192.168.0.0/16'), parseIP(tunnel)));
    assert.equal((await nodeSpec()).ipv4VXLANTunnelAddr, tunnel);
    assert.deepEqual(
      (await ipam.ipsByHandle('vxlan-tunnel-addr-node-a')).map((a) => a.split('/')[0]),
      [tunnel],
    );
    const attrs = await ipam.getAssignmentAttributes(tunnel);
    assert.deepEqual(attrs?.attrs, { node: 'node-a', type: 'vxlanTunnelAddress' });
    assert.equal(r.tunnelAddresses?.ipip, undefined);

    const rev = await revision();
    const again = await run({ CALICO_IPV4POOL_VXLAN: 'Always' }, { withIpam: true });
    assert.equal(again.tunnelAddresses?.vxlan, tunnel);
    assert.equal(await revision(), rev, 'second run writes nothing');

    const pool = await client.get('IPPool', 'default-ipv4-ippool');
    await client.update({ ...pool, spec: { ...(pool.spec ?? {}), vxlanMode: 'Never' } } as Resource);
    const off = await run({}, { withIpam: true });
    assert.deepEqual(off.tunnelAddresses, {});
    assert.equal((await nodeSpec()).ipv4VXLANTunnelAddr, undefined);
    assert.equal(await ipam.getAssignmentAttributes(tunnel), undefined);
    const revOff = await revision();
    await run({}, { withIpam: true });
    assert.equal(await revision(), revOff, 'nothing to allocate or release: no writes');
  });

  it('a tunnel address on the Node that IPAM does not hold for us is replaced', async () => {
    await run({ CALICO_IPV4POOL_VXLAN: 'Always' });
    // Someone else's allocation written into our Node: ours must be a fresh address.
    await ipam.assignIP({
      ip: '192.168.200.7',
      handleId: 'someone',
      hostname: 'other',
      intendedUse: 'Workload',
    });
    const n = await client.get('Node', 'node-a');
    await client.update({ ...n, spec: { ...(n.spec ?? {}), ipv4VXLANTunnelAddr: '192.168.200.7' } });
    const r = await run({ CALICO_IPV4POOL_VXLAN: 'Always' }, { withIpam: true });
    const mine = r.tunnelAddresses?.vxlan;
    assert.ok(mine && mine !== '192.168.200.7');
    assert.equal((await ipam.getAssignmentAttributes('192.168.200.7'))?.handleId, 'someone');
    assert.equal((await ipam.getAssignmentAttributes(mine))?.handleId, 'vxlan-tunnel-addr-node-a');

    // An address IPAM has no record of: released by handle and assigned afresh.
    await ipam.releaseByHandle('vxlan-tunnel-addr-node-a');
    const again = await run({ CALICO_IPV4POOL_VXLAN: 'Always' }, { withIpam: true });
    const next = again.tunnelAddresses?.vxlan;
    assert.ok(next);
    assert.equal((await ipam.getAssignmentAttributes(next))?.attrs.type, 'vxlanTunnelAddress');
    assert.equal((await ipam.ipsByHandle('vxlan-tunnel-addr-node-a')).length, 1);
  });

  it('IPIP pool: the IPIP tunnel address lands in spec.bgp', async () => {
    const r = await run({ CALICO_IPV4POOL_IPIP: 'Always' }, { withIpam: true });
    const tunnel = r.tunnelAddresses?.ipip;
    assert.ok(tunnel);
    const n = await nodeSpec();
    assert.equal(n.bgp?.ipv4IPIPTunnelAddr, tunnel);
    assert.equal(n.bgp?.ipv4Address, '10.0.0.5/24');
  });
});
