/**
 * `up --subnets 2 --mode vxlan --vxlan-mode CrossSubnet`: hosts in two /26s behind a router
 * namespace. Pods ping across every pair; hosts of one subnet route to each other directly (plain
 * IP on their fabric), hosts of different subnets through vxlan.calico (only VXLAN crosses the
 * router); NAT outgoing makes pod traffic to the router's outside address leave as the host's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { OUTSIDE_IP } from '../../../src/lab/names.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertLabGone, blockOf, hostRoutes, labSkip, mustLab, podIp, runLab } from './lab-cli.js';

const LAB = 'cxsub';
const N = ['--name', LAB];
const skip = labSkip(['tcpdump']);

/** Host addresses: h1, h2 in 198.51.100.0/26, h3, h4 in 198.51.100.128/26. */
const HOSTS = ['198.51.100.11', '198.51.100.12', '198.51.100.141', '198.51.100.142'];

/** One captured packet: tcpdump's line plus, for VXLAN, the inner packet's line. */
interface Packet {
  text: string;
  vxlan: boolean;
}

/**
 * Captures in `netns` on `iface` while `action` runs: tcpdump starts first (its "listening" line),
 * and is stopped with SIGINT (it prints what it saw) once `action` is done.
 */
async function capture(
  netns: string,
  iface: string,
  filter: string,
  action: () => Promise<void>,
): Promise<Packet[]> {
  const child = spawn('ip', ['netns', 'exec', netns, 'tcpdump', '-n', '-l', '-i', iface, filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump in ${netns} did not start: ${err}`)), 10_000);
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (err.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`tcpdump in ${netns} exited: ${err}`));
      });
    });
    await action();
    // The last replies may still be on their way through the capture.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    child.kill('SIGINT');
    await closed;
  }
  // A VXLAN packet prints as two lines: the outer header (timestamped), then the inner packet.
  const packets: Packet[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    if (/^\d\d:\d\d:/.test(line) || packets.length === 0) {
      packets.push({ text: line, vxlan: /\.4789: VXLAN/.test(line) });
    } else {
      packets[packets.length - 1].text += `\n${line}`;
    }
  }
  return packets;
}

async function ping(from: string, to: string): Promise<void> {
  const r = await runLab(['ping', from, to, ...N]);
  assert.equal(r.code, 0, `${from} -> ${to}: ${r.stdout}${r.stderr}`);
}

interface Route {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  flags?: string[];
}

describe('calico-lab up --subnets 2: option checks', () => {
  it('refuses two subnets in BGP mode: the router carries no pod routes', async () => {
    const r = await runLab(['up', '--name', 'cxbad', '--subnets', '2']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--subnets 2 needs --mode vxlan/);
    assert.match(r.stderr, /router between the subnets knows no pod routes/);
  });

  it('refuses --vxlan-mode CrossSubnet outside VXLAN mode', async () => {
    const r = await runLab(['up', '--name', 'cxbad', '--vxlan-mode', 'CrossSubnet']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--vxlan-mode needs --mode vxlan/);
  });
});

describe('calico-lab: VXLAN CrossSubnet across two subnets behind a router', { skip }, () => {
  const pods = ['c1', 'c2', 'c3', 'c4'];
  const ips: string[] = [];

  before(async () => {
    const out = await mustLab([
      'up',
      ...N,
      '--nodes',
      '4',
      '--mode',
      'vxlan',
      '--vxlan-mode',
      'CrossSubnet',
      '--subnets',
      '2',
    ]);
    assert.match(out, /felix ready on every host/);
    assert.match(out, new RegExp(`router: ${LAB}-rtr \\(198\\.51\\.100\\.1, 198\\.51\\.100\\.129`));
    for (const [i, p] of pods.entries()) {
      const add = await mustLab(['pod', 'add', p, '--node', String(i + 1), ...N]);
      assert.match(add, /routed from every host \(VXLAN\)/);
      ips.push(podIp(add));
    }
  });

  after(async () => {
    await runLab(['down', ...N]);
    await assertNoLeaks();
  });

  it('puts h1, h2 in 198.51.100.0/26 and h3, h4 in 198.51.100.128/26, each defaulting to the router', () => {
    for (const [i, address] of HOSTS.entries()) {
      const ns = `${LAB}-h${i + 1}`;
      const gateway = i < 2 ? '198.51.100.1' : '198.51.100.129';
      const subnet = i < 2 ? '198.51.100.0/26' : '198.51.100.128/26';
      const routes = hostRoutes(ns);
      assert.ok(
        routes.some((r) => r.dst === 'default' && r.gateway === gateway),
        `${ns}: ${JSON.stringify(routes)}`,
      );
      assert.ok(
        routes.some((r) => r.dst === subnet && r.dev === 'eth0'),
        `${ns} (${address}): ${JSON.stringify(routes)}`,
      );
    }
  });

  it('pods ping each other across every pair', async () => {
    const pairs = pods.flatMap((a) => pods.filter((b) => b !== a).map((b) => [a, b] as const));
    // Four at a time: each ping is a calico-lab process, and the machine has two cores.
    for (let i = 0; i < pairs.length; i += 4) {
      await Promise.all(pairs.slice(i, i + 4).map(([a, b]) => ping(a, b)));
    }
  });

  it('routes a same-subnet block directly (proto 80) and an other-subnet block through vxlan.calico onlink', () => {
    // From h1: h2 shares its subnet, h3 and h4 do not; from h3 the other way round.
    const cases: [number, number, boolean][] = [
      [1, 2, true],
      [1, 3, false],
      [1, 4, false],
      [3, 4, true],
      [3, 1, false],
      [3, 2, false],
    ];
    for (const [from, to, same] of cases) {
      const block = blockOf(ips[to - 1]);
      const r = (hostRoutes(`${LAB}-h${from}`) as Route[]).find((x) => x.dst === block);
      assert.ok(r, `h${from} has no route to h${to}'s block ${block}`);
      if (same) {
        assert.equal(r.dev, 'eth0', `h${from} -> h${to}: ${JSON.stringify(r)}`);
        assert.equal(r.gateway, HOSTS[to - 1]);
        assert.equal(r.protocol, '80');
      } else {
        assert.equal(r.dev, 'vxlan.calico', `h${from} -> h${to}: ${JSON.stringify(r)}`);
        assert.ok(r.flags?.includes('onlink'), `h${from} -> h${to}: ${JSON.stringify(r)}`);
      }
    }
  });

  it('sends only VXLAN (udp 4789) through the router between subnets', async () => {
    const [c1, , c3] = ips;
    const seen = await capture(`${LAB}-rtr`, 'any', 'icmp or udp port 4789', () => ping('c1', 'c3'));
    const tunnelled = seen.filter(
      (p) =>
        p.vxlan && p.text.includes(`${HOSTS[0]}.`) && p.text.includes(`${c1} > ${c3}: ICMP echo request`),
    );
    assert.ok(
      tunnelled.length >= 3,
      `VXLAN-wrapped echo requests h1 -> h3:\n${seen.map((p) => p.text).join('\n')}`,
    );
    const plain = seen.filter((p) => !p.vxlan && p.text.includes('203.0.113.'));
    assert.deepEqual(plain, [], 'pod addresses crossed the router unencapsulated');
  });

  it('sends plain IP (no VXLAN) between hosts of one subnet, on its fabric bridge', async () => {
    const [c1, c2] = ips;
    const seen = await capture(`${LAB}-fab`, 'br0', 'icmp or udp port 4789', () => ping('c1', 'c2'));
    const direct = seen.filter((p) => !p.vxlan && p.text.includes(`IP ${c1} > ${c2}: ICMP echo request`));
    assert.ok(direct.length >= 3, `plain echo requests c1 -> c2:\n${seen.map((p) => p.text).join('\n')}`);
    assert.deepEqual(
      seen.filter((p) => p.vxlan),
      [],
      'VXLAN between hosts of one subnet',
    );
  });

  it('NAT outgoing: pod traffic to an address outside the pools reaches the router as its host', async () => {
    const [c1, , c3] = ips;
    const seen = await capture(`${LAB}-rtr`, 'any', `icmp and host ${OUTSIDE_IP}`, async () => {
      await ping('c1', OUTSIDE_IP);
      await ping('c3', OUTSIDE_IP);
    });
    const requests = seen.filter((p) => p.text.includes(`> ${OUTSIDE_IP}: ICMP echo request`));
    const from = (ip: string) => requests.filter((p) => p.text.includes(` IP ${ip} >`)).length;
    const dump = seen.map((p) => p.text).join('\n');
    assert.ok(from(HOSTS[0]) >= 3, `echo requests from h1's address:\n${dump}`);
    assert.ok(from(HOSTS[2]) >= 3, `echo requests from h3's address:\n${dump}`);
    assert.equal(from(c1) + from(c3), 0, `pod addresses left the lab unmasqueraded:\n${dump}`);
  });

  it('down removes everything, the router and the second fabric included', async () => {
    await mustLab(['down', ...N]);
    assertLabGone(LAB);
  });
});
