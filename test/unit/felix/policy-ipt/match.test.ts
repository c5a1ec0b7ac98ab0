/**
 * Match rendering: native forms, multiport splits, and — with a small interpreter of the rendered
 * rules — that lists keep the IR's semantics (positive lists OR, `not` lists none-of, dstPorts OR
 * dstPortSets) whether they fit in one rule or need scratch-mark blocks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Match, PortRange, Rule } from '../../../../src/felix/calc/policy/ruleset.js';
import { MARK_SCRATCH0, MARK_SCRATCH1 } from '../../../../src/felix/calc/policy/ruleset.js';
import { expandRule, renderAction, splitPorts } from '../../../../src/felix/dataplane/policy/ipt-match.js';

const ports = (...ps: (number | [number, number])[]): PortRange[] =>
  ps.map((p) => (typeof p === 'number' ? { first: p, last: p } : { first: p[0], last: p[1] }));

describe('multiport splits (15 slots, a range takes 2)', () => {
  it('splits 16 ports into 15 + 1 and ranges by slots', () => {
    const sixteen = ports(...Array.from({ length: 16 }, (_, i) => 100 + i));
    assert.deepEqual(
      splitPorts(sixteen).map((g) => g.length),
      [15, 1],
    );
    const ranges = ports(...Array.from({ length: 8 }, (_, i): [number, number] => [i * 10, i * 10 + 5]));
    assert.deepEqual(
      splitPorts(ranges).map((g) => g.length),
      [7, 1],
    );
    assert.deepEqual(
      splitPorts(ports(1, [2, 3], 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)).map((g) => g.length),
      [14],
    );
    assert.deepEqual(splitPorts([]), []);
  });

  it('renders one rule when the ports fit, a match block when they do not; negated splits stay in the rule', () => {
    const one = expandRule(
      { match: { protocol: 'tcp', dstPorts: ports(80, [8000, 8080]) }, action: { type: 'accept' } },
      4,
    );
    assert.deepEqual(one, ['-p tcp -m multiport --destination-ports 80,8000:8080 -j ACCEPT']);
    const neg = expandRule(
      {
        match: { protocol: 'udp', notSrcPorts: ports(...Array.from({ length: 16 }, (_, i) => i + 1)) },
        action: { type: 'drop' },
      },
      4,
    );
    assert.equal(neg.length, 1);
    assert.match(
      neg[0],
      /-m multiport ! --source-ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -m multiport ! --source-ports 16 -j DROP$/,
    );
    const many = expandRule(
      {
        match: { protocol: 'tcp', dstPorts: ports(...Array.from({ length: 16 }, (_, i) => i + 1)) },
        action: { type: 'accept' },
      },
      4,
    );
    assert.ok(many.length > 1);
    assert.ok(many.filter((r) => r.includes('-p tcp -m multiport --destination-ports')).length === 2);
  });
});

describe('match fragments', () => {
  const r = (match: Match, family: 4 | 6 = 4): string => {
    const out = expandRule({ match, action: { type: 'accept' } }, family);
    assert.equal(out.length, 1, out.join('\n'));
    return out[0];
  };
  it('renders sets, ip-port sets, icmp, conntrack, marks, addrtype, interfaces', () => {
    assert.equal(
      r({ srcSets: ['cali40s:a', 'cali40s:b'], notDstSets: ['cali40s:c'] }),
      '-m set --match-set cali40s:a src -m set --match-set cali40s:b src -m set ! --match-set cali40s:c dst -j ACCEPT',
    );
    assert.equal(
      r({ protocol: 'tcp', dstPortSets: ['cali40n:x'] }),
      '-p tcp -m set --match-set cali40n:x dst,dst -j ACCEPT',
    );
    assert.equal(
      r({ icmp: { type: 8 }, notIcmp: { type: 8, code: 1 } }),
      '-p icmp -m icmp --icmp-type 8 -m icmp ! --icmp-type 8/1 -j ACCEPT',
    );
    assert.equal(
      r({ protocol: 'icmpv6', icmp: { type: 128 } }, 6),
      '-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT',
    );
    assert.equal(
      r({ ctState: ['related', 'established'], notCtState: ['invalid'] }),
      '-m conntrack --ctstate RELATED,ESTABLISHED -m conntrack ! --ctstate INVALID -j ACCEPT',
    );
    assert.equal(
      r({ mark: { value: 0x10000, mask: 0x10000 }, notMark: { value: 0, mask: 0x20000 } }),
      '-m mark --mark 0x10000/0x10000 -m mark ! --mark 0x0/0x20000 -j ACCEPT',
    );
    assert.equal(
      r({ dstLocal: true, iif: 'cali+', notOif: 'eth0' }),
      '-i cali+ ! -o eth0 -m addrtype --dst-type LOCAL -j ACCEPT',
    );
    assert.equal(
      r({ srcNets: ['10.0.0.0/8'], notDstNets: ['10.1.0.0/16'], protocol: 6 }),
      '-p 6 -s 10.0.0.0/8 ! -d 10.1.0.0/16 -j ACCEPT',
    );
  });

  it('renders actions: marks, log, notrack, goto', () => {
    assert.equal(
      renderAction({ type: 'set-mark', value: 0x10000, mask: 0x10000 }),
      '-j MARK --set-xmark 0x10000/0x10000',
    );
    assert.equal(
      renderAction({ type: 'set-mark', value: 0, mask: 0xffff0000 }),
      '-j MARK --set-xmark 0x0/0xffff0000',
    );
    assert.equal(
      renderAction({ type: 'log', prefix: 'calico-packet "x"' }),
      '-j LOG --log-prefix "calico-packet _x_" --log-level 5',
    );
    assert.equal(renderAction({ type: 'notrack' }), '-j NOTRACK');
    assert.equal(renderAction({ type: 'goto', chain: 'cali-tw-x' }), '-g cali-tw-x');
  });

  it('puts the free-text comment (sanitised) on the rule that acts', () => {
    const out = expandRule(
      {
        match: { srcNets: ['10.0.0.1/32', '10.0.0.2/32'] },
        action: { type: 'drop' },
        comment: 'Policy "x" ingress',
      },
      4,
    );
    assert.match(
      out.at(-1) ?? '',
      /^-m comment --comment "Policy _x_ ingress" -m mark --mark 0x80000\/0x80000 -j DROP$/,
    );
    assert.ok(!out.slice(0, -1).some((l) => l.includes('Policy')));
  });
});

// ---- a tiny interpreter of the rendered rules, to check list semantics ------------------------

interface Packet {
  src: string;
  dst: string;
  proto: string;
  sport: number;
  dport: number;
  iif: string;
  mark: number;
}
type Sets = Record<string, string[]>;

function ipNum(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const l = Number(len ?? 32);
  const size = 2 ** (32 - l);
  return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(net) / size);
}
function inPorts(p: number, list: string): boolean {
  return list.split(',').some((x) => {
    const [a, b] = x.split(':').map(Number);
    return p >= a && p <= (b ?? a);
  });
}
function tokens(body: string): string[] {
  return [...body.matchAll(/"[^"]*"|\S+/g)].map((m) => m[0]);
}

/** Runs the rule bodies in order; returns the terminal verdict, or undefined when all fell through. */
function run(bodies: string[], p: Packet, sets: Sets): string | undefined {
  const pkt = { ...p };
  for (const body of bodies) {
    const t = tokens(body);
    let ok = true;
    let action = '';
    let actionArg = '';
    for (let i = 0; i < t.length; i++) {
      let neg = false;
      if (t[i] === '!') {
        neg = true;
        i++;
      }
      const test = (v: boolean) => (ok &&= neg ? !v : v);
      switch (t[i]) {
        case '-m': {
          const mod = t[++i];
          if (mod === 'comment') i += 2;
          else if (t[i + 1] === '!') {
            neg = true;
            i++;
          }
          if (mod === 'mark') {
            const [v, m] = t[i + 2].split('/').map(Number);
            test((pkt.mark & m) >>> 0 === v);
            i += 2;
          } else if (mod === 'multiport') {
            const port = t[i + 1] === '--destination-ports' ? pkt.dport : pkt.sport;
            test(inPorts(port, t[i + 2]));
            i += 2;
          } else if (mod === 'set') {
            const [name, flags] = [t[i + 2], t[i + 3]];
            const members = sets[name] ?? [];
            if (flags === 'dst,dst') test(members.includes(`${pkt.dst},${pkt.proto}:${pkt.dport}`));
            else test(members.some((c) => inCidr(flags === 'src' ? pkt.src : pkt.dst, c)));
            i += 3;
          } else if (mod !== 'comment') throw new Error(`interpreter: no -m ${mod}`);
          break;
        }
        case '-s':
          test(inCidr(pkt.src, t[++i]));
          break;
        case '-d':
          test(inCidr(pkt.dst, t[++i]));
          break;
        case '-p':
          test(pkt.proto === t[++i]);
          break;
        case '-i': {
          const v = t[++i];
          test(v.endsWith('+') ? pkt.iif.startsWith(v.slice(0, -1)) : pkt.iif === v);
          break;
        }
        case '-j':
        case '-g':
          action = t[++i];
          if (action === 'MARK') {
            actionArg = t[i + 2];
            i = t.length;
          }
          break;
        default:
          throw new Error(`interpreter: unknown token ${t[i]} in ${body}`);
      }
    }
    if (!ok) continue;
    if (action === 'MARK') {
      const [v, m] = actionArg.split('/').map(Number);
      pkt.mark = ((pkt.mark & ~m) ^ v) >>> 0;
    } else return action;
  }
  return undefined;
}

/** The IR's own semantics for the fields used here. */
function matches(m: Match, p: Packet, sets: Sets): boolean {
  const inAny = (ip: string, nets: string[] = []) => nets.some((n) => inCidr(ip, n));
  const inRanges = (port: number, rs: PortRange[] = []) => rs.some((r) => port >= r.first && port <= r.last);
  const inPortSet = (s: string) => (sets[s] ?? []).includes(`${p.dst},${p.proto}:${p.dport}`);
  if (m.protocol !== undefined && p.proto !== m.protocol) return false;
  if (m.notProtocol !== undefined && p.proto === m.notProtocol) return false;
  if (m.srcNets?.length && !inAny(p.src, m.srcNets)) return false;
  if (inAny(p.src, m.notSrcNets)) return false;
  if (m.dstNets?.length && !inAny(p.dst, m.dstNets)) return false;
  if (inAny(p.dst, m.notDstNets)) return false;
  if (m.iif !== undefined && p.iif !== m.iif) return false;
  if (m.notIif !== undefined && p.iif === m.notIif) return false;
  const pos = (m.dstPorts?.length ?? 0) + (m.dstPortSets?.length ?? 0);
  if (pos && !inRanges(p.dport, m.dstPorts) && !(m.dstPortSets ?? []).some(inPortSet)) return false;
  if (inRanges(p.dport, m.notDstPorts)) return false;
  if (m.srcPorts?.length && !inRanges(p.sport, m.srcPorts)) return false;
  if (inRanges(p.sport, m.notSrcPorts)) return false;
  return true;
}

describe('list semantics survive rendering (interpreted)', () => {
  const sets: Sets = { 'cali40n:web': ['10.0.0.2,tcp:7070', '10.0.0.3,tcp:7071'] };
  const srcs = ['10.0.0.1', '10.0.0.9', '192.168.1.1', '172.16.0.1'];
  const dsts = ['10.0.0.2', '10.0.0.3', '10.5.5.5'];
  const dports = [80, 443, 7070, 7071, 8000, 8005, 9000, 1016];
  const packets: Packet[] = [];
  for (const src of srcs)
    for (const dst of dsts)
      for (const dport of dports)
        for (const proto of ['tcp', 'udp'])
          for (const iif of ['cali1', 'cali2'])
            for (const mark of [0, MARK_SCRATCH0 | MARK_SCRATCH1])
              packets.push({ src, dst, proto, sport: dport + 1, dport, iif, mark });

  const cases: Record<string, Match> = {
    'positive nets OR': { srcNets: ['10.0.0.0/29', '192.168.0.0/16'] },
    'negative nets none-of': { notSrcNets: ['10.0.0.1/32', '172.16.0.0/12'] },
    'positive and negative nets of one direction': { srcNets: ['10.0.0.0/24'], notSrcNets: ['10.0.0.9/32'] },
    'both directions, several blocks': {
      srcNets: ['10.0.0.0/24', '192.168.1.1/32'],
      dstNets: ['10.0.0.2/32', '10.0.0.3/32'],
      notDstNets: ['10.0.0.3/32', '10.9.9.9/32'],
    },
    'dstPorts OR dstPortSets': {
      protocol: 'tcp',
      dstPorts: ports(80, [8000, 8010]),
      dstPortSets: ['cali40n:web'],
    },
    'ports over 15 slots': {
      protocol: 'tcp',
      dstPorts: ports(...Array.from({ length: 14 }, (_, i) => 1000 + i), 80, 443, 1016),
    },
    'not ports over 15 slots': {
      protocol: 'tcp',
      notDstPorts: ports(...Array.from({ length: 14 }, (_, i) => 2000 + i), 80, [8000, 8004]),
    },
    'protocol and notProtocol': { protocol: 'tcp', notProtocol: 'udp', srcNets: ['10.0.0.1/32'] },
    'protocol equal to notProtocol never matches': { protocol: 'tcp', notProtocol: 'tcp' },
    'iif and notIif': { iif: 'cali1', notIif: 'cali2', notSrcNets: ['192.168.0.0/16', '10.0.0.9/32'] },
    'everything at once': {
      protocol: 'tcp',
      srcNets: ['10.0.0.0/24', '172.16.0.0/12'],
      notSrcNets: ['10.0.0.9/32', '10.0.0.10/32'],
      notDstNets: ['10.5.5.5/32'],
      dstPorts: ports(80, 443),
      dstPortSets: ['cali40n:web'],
      srcPorts: ports([1, 100], [7000, 8000]),
    },
    empty: {},
  };
  for (const [label, match] of Object.entries(cases)) {
    it(label, () => {
      const rule: Rule = { match, action: { type: 'accept' } };
      const bodies = expandRule(rule, 4);
      for (const p of packets) {
        const want = matches(match, p, sets);
        const got = run(bodies, p, sets) === 'ACCEPT';
        assert.equal(got, want, `${JSON.stringify(p)}\n${bodies.join('\n')}`);
      }
    });
  }

  it('block rules only touch the scratch bits', () => {
    const bodies = expandRule({ match: cases['everything at once'], action: { type: 'accept' } }, 4);
    for (const b of bodies.slice(0, -1)) {
      const m = /--set-xmark (\S+)\/(\S+)$/.exec(b);
      assert.ok(m, b);
      assert.equal(Number(m[2]) & ~(MARK_SCRATCH0 | MARK_SCRATCH1), 0, b);
    }
  });
});
