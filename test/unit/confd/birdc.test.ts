import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BirdControl,
  bgpPeerStatus,
  birdCommand,
  parseReplyLines,
  parseShowProtocols,
  showProtocols,
} from '../../../src/confd/index.js';
import { isBirdError } from '../../../src/confd/errors.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

/** A `show protocols` reply as BIRD 2.0.12 sends it on these machines. */
const SHOW_PROTOCOLS =
  '2002-Name       Proto      Table      State  Since         Info\n' +
  '1002-device1    Device     ---        up     23:59:35.164  \n' +
  ' kernel4    Kernel     master4    up     23:59:35.164  \n' +
  ' Mesh_198_51_100_12 BGP        ---        up     23:59:37.201  Established   \n' +
  ' Mesh_198_51_100_13 BGP        ---        start  23:59:35.164  Passive\n' +
  ' Node_fd00_51__fe_port_1179 BGP        ---        start  23:59:35.164  Connect       Socket: Connection refused\n' +
  ' static1    Static     master4    up     23:59:35.697  \n' +
  '0000 \n';

describe('BIRD control protocol: parsing', () => {
  it('frames lines by code; continuation lines keep the code; the space form ends the reply', () => {
    const { lines, final } = parseReplyLines('0002-Reading configuration from /x.cfg\n0003 Reconfigured\n');
    assert.equal(final, true);
    assert.deepEqual(lines, [
      { code: 2, text: 'Reading configuration from /x.cfg' },
      { code: 3, text: 'Reconfigured' },
    ]);
    assert.equal(parseReplyLines('1002-a\n b\n').final, false);
    assert.throws(
      () => parseReplyLines('garbage\n'),
      (e) => isBirdError(e, 'protocol'),
    );
  });

  it("show protocols: rows with multi-word info; calicoctl's peer view of the BGP ones", () => {
    const protos = parseShowProtocols({ lines: parseReplyLines(SHOW_PROTOCOLS).lines, code: 0 });
    assert.equal(protos.length, 6);
    assert.deepEqual(protos[0], {
      name: 'device1',
      proto: 'Device',
      table: '---',
      state: 'up',
      since: '23:59:35.164',
      info: '',
    });
    assert.equal(protos[4].info, 'Connect Socket: Connection refused');
    assert.deepEqual(bgpPeerStatus(protos), [
      {
        peerAddress: '198.51.100.12',
        port: undefined,
        family: 4,
        peerType: 'node-to-node mesh',
        state: 'up',
        since: '23:59:37.201',
        info: 'Established',
      },
      {
        peerAddress: '198.51.100.13',
        port: undefined,
        family: 4,
        peerType: 'node-to-node mesh',
        state: 'start',
        since: '23:59:35.164',
        info: 'Passive',
      },
      {
        peerAddress: 'fd00:51::fe',
        port: 1179,
        family: 6,
        peerType: 'node specific',
        state: 'start',
        since: '23:59:35.164',
        info: 'Connect Socket: Connection refused',
      },
    ]);
  });

  it('an unknown table header is refused', () => {
    const reply = { lines: parseReplyLines('2002-Name Proto Table State\n0000 \n').lines, code: 0 };
    assert.throws(() => parseShowProtocols(reply), /unknown BIRD table output format/);
  });
});

describe('BIRD control socket client (against a fake BIRD)', () => {
  let dir: string;
  let server: Server;
  let sock: string;
  const sockets = new Set<Socket>();
  let silent = false;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctsc-birdc-'));
    sock = join(dir, 'bird.ctl');
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // clients hang up mid-reply in the timeout test
      s.write('0001 BIRD 2.0.12 ready.\n');
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const cmd = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (silent) continue;
          // Reply in two chunks to exercise reassembly.
          const reply = cmd === 'show protocols' ? SHOW_PROTOCOLS : '9001 syntax error\n';
          s.write(reply.slice(0, 40));
          setTimeout(() => !s.destroyed && s.write(reply.slice(40)), 5);
        }
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
    await assertNoLeaks();
  });

  it('greets, runs commands in order on one connection, and reports error codes', async () => {
    const ctl = await BirdControl.connect(sock);
    const [a, b] = await Promise.all([ctl.command('show protocols'), ctl.command('bogus')]);
    assert.equal(a.code, 0);
    assert.equal(b.code, 9001);
    ctl.close();
    const protos = await showProtocols(sock);
    assert.deepEqual(protos.map((p) => p.name).slice(0, 3), ['device1', 'kernel4', 'Mesh_198_51_100_12']);
  });

  it('times out when BIRD does not answer; fails clearly when nobody listens', async () => {
    silent = true;
    try {
      await assert.rejects(birdCommand(sock, 'show protocols', { timeoutMs: 100 }), (e) =>
        isBirdError(e, 'timeout'),
      );
    } finally {
      silent = false;
    }
    await assert.rejects(birdCommand(join(dir, 'nobody.ctl'), 'show protocols'), (e) =>
      isBirdError(e, 'unreachable'),
    );
  });
});
