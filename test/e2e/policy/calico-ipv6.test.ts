/**
 * IPv6 policy at Felix level (the lab is IPv4-only): a real etcd, one host namespace with three
 * pods wired as the calico CNI plugin wires them (veths `cali…`, an IPv6 /128 on each pod's eth0,
 * /128 routes in the host, the pods' default route via the host veth's link-local address), their
 * WorkloadEndpoints in etcd, and Felix (startFelix) programming that namespace. A v3 NetworkPolicy
 * allows TCP 8080 from one pod's selector over IPv6 only and ICMPv6 echo from one source /128;
 * real TCP and ping over IPv6 (and IPv4) check the verdicts, on nftables and then on iptables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { startFelix, type Felix } from '../../../src/felix/felix.js';
import { workloadVethName } from '../../../src/net/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { createPolicyLab, type Pod, type PolicyLab } from '../../helpers/policy-conformance-lab.js';
import { eventually, policySkip } from './fixtures/calico-lab.js';

const skip = policySkip(['ip6tables-save', 'ping']);
const PREFIX = 'kap-v6-';
const NODE = 'kapv6';
const PORTS = [8080, 9090];

const POD_SPECS = ['a', 'b', 'c'].map((label, i) => ({
  label,
  iface: workloadVethName('default', label),
  ip4: `203.0.113.${i + 1}`,
  ip6: `fd00:cafe::${label}`,
  tcpPorts: PORTS,
  udpPorts: [],
}));

function v3(kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown>): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind, metadata, spec } as Resource;
}

function policy(sourceApp: string, icmpSource: string): Resource {
  return v3(
    'NetworkPolicy',
    { name: 'v6-to-b', namespace: 'default' },
    {
      selector: "app == 'b'",
      types: ['Ingress'],
      ingress: [
        {
          action: 'Allow',
          ipVersion: 6,
          protocol: 'TCP',
          source: { selector: `app == '${sourceApp}'` },
          destination: { ports: [8080] },
        },
        { action: 'Allow', protocol: 'ICMPv6', icmp: { type: 128 }, source: { nets: [`${icmpSource}/128`] } },
      ],
    },
  );
}

describe(
  'Calico policy over IPv6 (Felix on a hand-wired host, real etcd)',
  { skip, timeout: 600_000 },
  () => {
    let etcd: EtcdHandle;
    let client: Client;
    let lab: PolicyLab;
    let felix: Felix | undefined;
    const logs: string[] = [];
    let a: Pod;
    let b: Pod;
    let c: Pod;

    const ping = async (from: Pod, ip: string): Promise<boolean> =>
      (await from.ns.run('ping', ['-n', '-c', '1', '-W', '1', '-q', ip], { timeoutMs: 5000 })).code === 0;

    /** The verdicts that do not depend on which source the policy names. */
    const fixed = async () => ({
      'a → b:9090 v6': await a.agent.probe('tcp', b.ip6, 9090, 700),
      'a → b:8080 v4 (the TCP rule is IPv6 only)': await a.agent.probe('tcp', b.ip4, 8080, 700),
      'ping a → b v4': await ping(a, b.ip4),
      'b → a:8080 v6 (a has no policy)': await b.agent.probe('tcp', a.ip6, 8080, 700),
    });

    const upsert = async (r: Resource): Promise<void> => {
      const cur = await client.get(r.kind, r.metadata.name!, r.metadata.namespace).catch(() => undefined);
      if (cur) await client.update({ ...r, metadata: cur.metadata });
      else await client.create(r);
    };

    before(async () => {
      etcd = await startEtcd();
      client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }));
      lab = await createPolicyLab(PREFIX, POD_SPECS);
      [a, b, c] = ['a', 'b', 'c'].map((l) => lab.pods.get(l)!);
      await client.create(v3('Node', { name: NODE }, {}));
      await client.create(
        v3(
          'Profile',
          { name: 'kns.default' },
          { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] },
        ),
      );
      for (const p of [a, b, c]) {
        await client.create(
          v3(
            'WorkloadEndpoint',
            {
              name: `${NODE}-k8s-${p.label}-eth0`,
              namespace: 'default',
              labels: {
                app: p.label,
                'projectcalico.org/namespace': 'default',
                'projectcalico.org/orchestrator': 'k8s',
              },
            },
            {
              orchestrator: 'k8s',
              node: NODE,
              pod: p.label,
              endpoint: 'eth0',
              interfaceName: p.iface,
              ipNetworks: [`${p.ip4}/32`, `${p.ip6}/128`],
              profiles: ['kns.default'],
            },
          ),
        );
      }
      felix = startFelix({
        client,
        nodeName: NODE,
        netns: lab.host.name,
        policyConfig: { ipv6: true },
        log: (level, m) => logs.push(`${level} ${m}`),
      });
      await felix.ready();
    });

    after(async () => {
      await felix?.stop();
      await client?.close();
      await lab?.destroy();
      await etcd?.stop();
      await assertNoLeaks();
    });

    it('with no policy, every pod reaches b over IPv6 (TCP and ping)', async () => {
      await eventually('a, c → b over IPv6', async () => {
        const r = [
          await a.agent.probe('tcp', b.ip6, 8080, 700),
          await c.agent.probe('tcp', b.ip6, 9090, 700),
          await ping(c, b.ip6),
        ];
        return r.every(Boolean) || `${JSON.stringify(r)}; felix: ${logs.slice(-5).join(' | ')}`;
      });
    });

    for (const backend of ['nftables', 'iptables'] as const) {
      if (backend === 'iptables') {
        it('switches to iptables + ipset (nftablesMode: Disabled)', async () => {
          await upsert(v3('FelixConfiguration', { name: 'default' }, { nftablesMode: 'Disabled' }));
          await eventually('ip6tables chains', async () => {
            const save = await lab.host.run('ip6tables-save', ['-t', 'filter']);
            const nft = await lab.host.run('nft', ['list', 'table', 'ip6', 'calico']);
            return (/^:cali-tw-/m.test(save.stdout) && nft.code !== 0) || `nft exit ${nft.code}`;
          });
        });
      }

      it(`${backend}: allows a → b:8080 over IPv6 and ping from a's /128; denies the rest`, async () => {
        await upsert(policy('a', a.ip6));
        await eventually(
          'c → b:8080 v6 denied, a → b:8080 v6 allowed',
          async () =>
            (!(await c.agent.probe('tcp', b.ip6, 8080, 700)) &&
              (await a.agent.probe('tcp', b.ip6, 8080, 700))) ||
            logs.slice(-3).join(' | '),
        );
        assert.equal(await ping(a, b.ip6), true, 'ping a → b v6 (ICMPv6 rule)');
        assert.equal(await ping(c, b.ip6), false, 'ping c → b v6');
        assert.deepEqual(await fixed(), {
          'a → b:9090 v6': false,
          'a → b:8080 v4 (the TCP rule is IPv6 only)': false,
          'ping a → b v4': false,
          'b → a:8080 v6 (a has no policy)': true,
        });
        if (backend === 'nftables') {
          const t = await lab.host.must('nft', ['list', 'table', 'ip6', 'calico']);
          assert.match(t, /chain filter-cali-tw-/);
          assert.match(t, /set cali60s[:-]/);
        } else {
          assert.match(await lab.host.must('ip6tables-save', ['-t', 'filter']), /^:cali-pi-/m);
          assert.match(await lab.host.must('ipset', ['list', '-n']), /^cali60s:/m, 'an IPv6 selector set');
        }
      });

      it(`${backend}: the policy updated to name c: c is allowed, a denied (the v6 set follows)`, async () => {
        await upsert(policy('c', c.ip6));
        await eventually(
          'c → b:8080 v6 allowed, a → b:8080 v6 denied',
          async () =>
            (await c.agent.probe('tcp', b.ip6, 8080, 700)) && !(await a.agent.probe('tcp', b.ip6, 8080, 700)),
        );
        assert.equal(await ping(c, b.ip6), true, 'ping c → b v6');
        assert.equal(await ping(a, b.ip6), false, 'ping a → b v6');
        await client.delete('NetworkPolicy', 'v6-to-b', 'default');
        await eventually(
          'b open again',
          async () => (await a.agent.probe('tcp', b.ip6, 9090, 700)) && ping(a, b.ip6),
        );
      });
    }
  },
);
