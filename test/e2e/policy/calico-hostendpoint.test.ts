/**
 * A HostEndpoint on lab host h2's fabric interface, in the real kernel. A GlobalNetworkPolicy
 * denying all ingress to it closes h2's own ports to h1, except the failsafe ones: SSH (22), etcd
 * (2379) and BGP (179: BIRD's sessions re-establish after a restart). Host endpoint policy does not
 * police traffic forwarded to h2's pods unless it is `applyOnForward`. Deleting the deny policy
 * opens the port again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { LAB_ROOT } from '../../../src/lab/names.js';
import { runCommand } from '../../../src/lab/run-command.js';
import type { LabState } from '../../../src/lab/state.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  calico,
  CalicoLab,
  eventually,
  felixConfigSpec,
  podManifest,
  policySkip,
  sleep,
  tcpListener,
  tcpRead,
  waitOutput,
  type Bg,
  type LabPod,
} from './fixtures/calico-lab.js';

const lab = new CalicoLab('ka3');
const skip = policySkip();
const H2_IP = '198.51.100.12';
/** A port of h2's that no failsafe covers. */
const OPEN_PORT = 8000;
const LABEL = { hep: 'h2-fabric' };
const tcp = (port: number) => ({ protocol: 'TCP', port });
/** Felix's default failsafe ports. */
const FAILSAFE_IN = [
  tcp(22),
  { protocol: 'UDP', port: 68 },
  ...[179, 2379, 2380, 5473, 6443, 6666, 6667].map(tcp),
];
const FAILSAFE_OUT = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'UDP', port: 67 },
  ...[179, 2379, 2380, 5473, 6443, 6666, 6667].map(tcp),
];

/** Allows everything both ways: what the host is left with when the deny is gone. */
const ALLOW_ALL = calico(
  'GlobalNetworkPolicy',
  { name: 'h2-allow-all' },
  {
    order: 200,
    selector: "hep == 'h2-fabric'",
    types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Allow' }],
    egress: [{ action: 'Allow' }],
  },
);
/** Denies both ways: only the failsafe ports (and replies) get through, BGP's 179 in and out among them. */
const DENY_ALL = calico(
  'GlobalNetworkPolicy',
  { name: 'h2-deny-all' },
  {
    order: 100,
    selector: "hep == 'h2-fabric'",
    types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Deny' }],
    egress: [{ action: 'Deny' }],
  },
);
/** Forwarded traffic entering h2 on the fabric: TCP 8080 denied, the rest allowed. */
const FORWARD_DENY_8080 = calico(
  'GlobalNetworkPolicy',
  { name: 'h2-forward-deny-8080' },
  {
    order: 50,
    applyOnForward: true,
    selector: "hep == 'h2-fabric'",
    types: ['Ingress'],
    ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [8080] } }, { action: 'Allow' }],
  },
);

/** h1 → h2:port, a TCP exchange with the listener (undefined when no connection). */
const fromH1 = (port: number): Promise<string | undefined> => tcpRead(lab.hostNetns(1), H2_IP, port, 1500);

function birdSocket(host: number): string {
  const state = JSON.parse(readFileSync(`${LAB_ROOT}/${lab.name}/state.json`, 'utf8')) as LabState;
  return `${state.hosts.find((h) => h.index === host)!.runDir}/bird.ctl`;
}

/** BGP protocols of a host's BIRD and their states. */
async function bgpSessions(host: number): Promise<{ name: string; established: boolean; since: string }[]> {
  const r = await runCommand('birdc', ['-s', birdSocket(host), 'show', 'protocols']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => /\sBGP\s/.test(l))
    .map((l) => {
      const cols = l.split(/\s+/);
      return { name: cols[0], established: /Established/.test(l), since: `${cols[4]} ${cols[5] ?? ''}` };
    });
}

describe('Calico policy: a HostEndpoint with failsafe ports', { skip, timeout: 900_000 }, () => {
  const listeners: Bg[] = [];
  let iface = '';
  let hep: Record<string, unknown>;
  let a: LabPod;
  let b: LabPod;

  before(async () => {
    await lab.up(3);
    await lab.apply(
      podManifest('a', '1', { app: 'a' }, [80, 8080]),
      podManifest('b', '2', { app: 'b' }, [80, 8080]),
    );
    [a, b] = await Promise.all(['default/a', 'default/b'].map((p) => lab.pod(p)));
    const addrs = JSON.parse(await lab.hostMust(2, 'ip', ['-j', '-4', 'addr', 'show'])) as {
      ifname: string;
      addr_info: { local: string }[];
    }[];
    iface = addrs.find((l) => l.addr_info.some((x) => x.local === H2_IP))?.ifname ?? '';
    assert.ok(iface, `h2 has no interface with ${H2_IP}`);
    hep = calico(
      'HostEndpoint',
      { name: `${lab.hostName(2)}-${iface}`, labels: LABEL },
      { node: lab.hostName(2), interfaceName: iface, expectedIPs: [H2_IP] },
    );
    for (const port of [22, 2379, OPEN_PORT]) {
      const l = tcpListener(lab.hostNetns(2), port);
      listeners.push(l);
      await waitOutput(l, /listening/);
    }
  });

  after(async () => {
    for (const l of listeners) await l.stop();
    await lab.down();
    assertLabGone(lab.name);
    await assertNoLeaks();
  });

  it('without a host endpoint, h1 reaches h2 on 22, 2379 and 8000', async () => {
    for (const port of [22, 2379, OPEN_PORT]) assert.equal(await fromH1(port), 'hello\n', `port ${port}`);
  });

  it('a host endpoint whose policy allows everything leaves h2 reachable', async () => {
    await lab.apply(hep, ALLOW_ALL);
    await eventually('host endpoint chains on h2', async () => {
      const t = await lab.host(2, 'nft', ['list', 'table', 'ip', 'calico']);
      return new RegExp(`chain filter-cali-fh-${iface}`).test(t.stdout) || 'no from-host-endpoint chain';
    });
    assert.equal(await fromH1(OPEN_PORT), 'hello\n');
  });

  it('denying all ingress and egress closes 8000; 22 and 2379 stay reachable (failsafe)', async () => {
    await lab.apply(DENY_ALL);
    await eventually(`h1 → h2:${OPEN_PORT} denied`, async () => (await fromH1(OPEN_PORT)) === undefined);
    assert.equal(await fromH1(22), 'hello\n', 'ssh (failsafe)');
    assert.equal(await fromH1(2379), 'hello\n', 'etcd (failsafe)');
    // Denied, not refused: the SYN is dropped, so the connection times out.
    assert.equal(await fromH1(OPEN_PORT), undefined);
  });

  /** Restarts h2's BIRD; resolves once every session is Established again, renewed. */
  const restartBird = async (ms: number): Promise<void> => {
    const before = await bgpSessions(2);
    assert.equal(before.length, 2, JSON.stringify(before));
    const r = await runCommand('birdc', ['-s', birdSocket(2), 'restart', 'all']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await eventually(
      'h2’s BGP sessions Established again',
      async () => {
        const s = await bgpSessions(2);
        // Established since a later time than before: the sessions really restarted.
        const renewed = s.every((x) => x.since !== before.find((y) => y.name === x.name)?.since);
        return s.length === 2 && renewed && s.every((x) => x.established) ? true : JSON.stringify(s);
      },
      ms,
      1000,
    );
  };

  it('BGP sessions re-establish through the failsafe (BIRD on h2 restarted under the policy)', async () => {
    await restartBird(90_000);
    const peers = [...(await bgpSessions(1)), ...(await bgpSessions(3))];
    assert.ok(
      peers.every((p) => p.established),
      JSON.stringify(peers),
    );
  });

  it('control: with 179 taken out of the failsafe ports, the restarted sessions stay down', async () => {
    const original = (await felixConfigSpec(lab, 'default')) ?? {};
    const without179 = (ports: { protocol: string; port: number }[]) => ports.filter((p) => p.port !== 179);
    await lab.apply(
      calico(
        'FelixConfiguration',
        { name: 'default' },
        {
          ...original,
          failsafeInboundHostPorts: without179(FAILSAFE_IN),
          failsafeOutboundHostPorts: without179(FAILSAFE_OUT),
        },
      ),
    );
    await eventually('no failsafe for 179 on h2', async () => {
      const t = await lab.host(2, 'nft', ['list', 'chain', 'ip', 'calico', 'filter-cali-failsafe-in']);
      return (t.code === 0 && !/dport 179/.test(t.stdout) && /dport 22/.test(t.stdout)) || t.stdout;
    });
    await runCommand('birdc', ['-s', birdSocket(2), 'restart', 'all']);
    await sleep(15_000);
    const s = await bgpSessions(2);
    assert.ok(
      s.every((x) => !x.established),
      `sessions up without the failsafe: ${JSON.stringify(s)}`,
    );
    assert.equal(await fromH1(22), 'hello\n', 'ssh still failsafe');
    await lab.apply(calico('FelixConfiguration', { name: 'default' }, original));
    await restartBird(90_000);
  });

  it('host endpoint policy does not police traffic forwarded to h2’s pods', async () => {
    assert.equal(await lab.probe(a, b.ip, 8080), true, 'a → b:8080');
    assert.equal(await lab.probe(b, a.ip, 8080), true, 'b → a:8080');
  });

  it('an applyOnForward policy does: forwarded a → b:8080 denied, :80 allowed', async () => {
    await lab.apply(FORWARD_DENY_8080);
    await eventually('a → b:8080 denied', async () => !(await lab.probe(a, b.ip, 8080)));
    assert.equal(await lab.probe(a, b.ip, 80), true, 'a → b:80');
    assert.equal(await lab.probe(b, a.ip, 8080), true, 'b → a:8080 (forwarded egress has no policy)');
    await lab.delete(FORWARD_DENY_8080);
    await eventually('a → b:8080 allowed again', () => lab.probe(a, b.ip, 8080));
  });

  it('deleting the deny policy opens 8000 again', async () => {
    await lab.delete(DENY_ALL);
    await eventually(`h1 → h2:${OPEN_PORT} allowed`, async () => (await fromH1(OPEN_PORT)) === 'hello\n');
  });
});
