/**
 * `calicoctl node status` (the real binary) against two real BIRD 2 daemons peering over a veth
 * between network namespaces, IPv4 and IPv6, with a stand-in calico-node process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ctlBin, type CtlResult } from '../../../helpers/ctl.js';
import { cleanupLeftovers, createBirdLab, labUnavailable, type BirdLab } from './bird-lab.js';

const skip = await labUnavailable();

async function until(
  what: string,
  ms: number,
  probe: () => Promise<CtlResult>,
  ok: (r: CtlResult) => boolean,
) {
  const deadline = Date.now() + ms;
  let last: CtlResult | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not reached in ${ms} ms; last output:\n${last?.stdout}${last?.stderr}`);
}

/** A data row of the boxed table, with the SINCE column as a pattern. */
const rowPattern = (addr: string, type: string, state: string, info: string) =>
  new RegExp(
    `^\\| ${addr.replace(/\./g, '\\.')} +\\| ${type} +\\| ${state} +\\| \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? +\\| ${info} +\\|$`,
    'm',
  );

describe('calicoctl node status with real BIRD peers', { skip }, () => {
  let lab: BirdLab;
  before(async () => {
    await cleanupLeftovers();
    lab = await createBirdLab();
  });
  after(async () => lab?.destroy());

  it('shows the IPv4 and IPv6 mesh sessions Established, and the unanswered global peer', async () => {
    const status = () => ctlBin({}, ['node', 'status', '--bird-socket', lab.a.socket]);
    const r = await until(
      'both mesh sessions Established',
      30_000,
      status,
      (x) => /198\.51\.100\.2 .*Established/.test(x.stdout) && /2001:db8:100::2 .*Established/.test(x.stdout),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const [head, v4, v6] = r.stdout.split(/\nIPv[46] BGP status\n/);
    assert.equal(head, 'Calico process is running.\n');
    assert.match(v4, rowPattern('198.51.100.2', 'node-to-node mesh', 'up', 'Established'));
    // Nobody has 198.51.100.3: the session never leaves the start state; `_port_1179` stays in the address.
    assert.match(
      v4,
      /^\| 198\.51\.100\.3\.port\.1179 +\| global +\| start +\| \S+ +\| (Idle|Connect|Active)\b/m,
    );
    assert.equal(v4.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| PEER')).length, 2);
    assert.match(v6, rowPattern('2001:db8:100::2', 'node-to-node mesh', 'up', 'Established'));
    assert.match(
      v6,
      /^\+-+\+-+\+-+\+-+\+-+\+\n\| PEER ADDRESS +\| PEER TYPE +\| STATE +\| SINCE +\| INFO +\|\n\+-/,
    );
    assert.ok(v6.endsWith('+\n\n'), JSON.stringify(v6));
  });

  it('reads the other host through CALICO_BIRD_SOCKET', async () => {
    const r = await ctlBin({ CALICO_BIRD_SOCKET: lab.b.socket }, ['node', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, rowPattern('198.51.100.1', 'node-to-node mesh', 'up', 'Established'));
    assert.match(r.stdout, rowPattern('2001:db8:100::1', 'node-to-node mesh', 'up', 'Established'));
  });

  it('sees the session drop when the peer BIRD stops, and reports its socket as unreachable', async () => {
    await lab.stopBird(lab.b);
    const r = await until(
      'mesh session to the stopped peer leaves Established',
      30_000,
      () => ctlBin({}, ['node', 'status', '--bird-socket', lab.a.socket]),
      (x) => x.code === 0 && !/198\.51\.100\.2 .*Established/.test(x.stdout),
    );
    assert.match(r.stdout, /^\| 198\.51\.100\.2 +\| node-to-node mesh +\| start +\|/m);
    const gone = await ctlBin({}, ['node', 'status', '--bird-socket', lab.b.socket]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(
      gone.stdout,
      new RegExp(
        `^IPv4 BGP status\\nError querying BIRD: unable to connect to BIRDv4 socket: dial unix ${lab.b.socket}: ` +
          'connect: (no such file or directory|connection refused)\\nIPv6 BGP status\\n',
        'm',
      ),
    );
  });
});
