import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResult, renderResult, type CniResult } from '../../../src/cni/result.js';

const r: CniResult = {
  interfaces: [
    { name: 'cali1a2b3c4d5e6' },
    { name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', mtu: 1440, sandbox: '/var/run/netns/x' },
  ],
  ips: [
    { interface: 1, address: '10.65.79.5/32' },
    { interface: 1, address: 'fd00::5/128' },
  ],
  routes: [{ dst: '10.65.79.5/26' }, { dst: 'fd00::5/122' }],
  dns: {},
};

describe('CNI results', () => {
  it('renders 1.0.0 exactly as Calico prints it', () => {
    assert.equal(
      renderResult(r, '1.0.0'),
      '{"cniVersion":"1.0.0","interfaces":[{"name":"cali1a2b3c4d5e6"},{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","mtu":1440,"sandbox":"/var/run/netns/x"}],' +
        '"ips":[{"interface":1,"address":"10.65.79.5/32"},{"interface":1,"address":"fd00::5/128"}],' +
        '"routes":[{"dst":"10.65.79.5/26"},{"dst":"fd00::5/122"}],"dns":{}}',
    );
    assert.match(renderResult(r, '1.1.0'), /^\{"cniVersion":"1.1.0","interfaces"/);
  });

  it('renders 0.4.0 / 0.3.1 / 0.3.0 with ip versions and without mtu', () => {
    for (const v of ['0.4.0', '0.3.1', '0.3.0']) {
      const o = JSON.parse(renderResult(r, v));
      assert.equal(o.cniVersion, v);
      assert.deepEqual(o.ips, [
        { version: '4', interface: 1, address: '10.65.79.5/32' },
        { version: '6', interface: 1, address: 'fd00::5/128' },
      ]);
      assert.deepEqual(o.interfaces[1], {
        name: 'eth0',
        mac: 'aa:bb:cc:dd:ee:ff',
        sandbox: '/var/run/netns/x',
      });
      assert.deepEqual(o.routes, r.routes);
    }
  });

  it('renders 0.2.0 / 0.1.0 as ip4/ip6 with per-family routes', () => {
    for (const v of ['0.2.0', '0.1.0']) {
      assert.deepEqual(JSON.parse(renderResult(r, v)), {
        cniVersion: v,
        ip4: { ip: '10.65.79.5/32', routes: [{ dst: '10.65.79.5/26' }] },
        ip6: { ip: 'fd00::5/128', routes: [{ dst: 'fd00::5/122' }] },
        dns: {},
      });
    }
    assert.deepEqual(JSON.parse(renderResult({ ips: [{ address: '10.0.0.1/32' }] }, '0.2.0')), {
      cniVersion: '0.2.0',
      ip4: { ip: '10.0.0.1/32' },
      dns: {},
    });
  });

  it('parses results of every version back', () => {
    for (const v of ['1.0.0', '0.4.0', '0.3.1']) {
      const back = parseResult(JSON.parse(renderResult(r, v)));
      assert.deepEqual(
        back.ips.map((i) => i.address),
        ['10.65.79.5/32', 'fd00::5/128'],
      );
      assert.equal(back.interfaces?.[1].mac, 'aa:bb:cc:dd:ee:ff');
    }
    const legacy = parseResult(JSON.parse(renderResult(r, '0.2.0')));
    assert.deepEqual(legacy.ips, [{ address: '10.65.79.5/32' }, { address: 'fd00::5/128' }]);
    assert.equal(legacy.routes?.length, 2);
  });

  it('rejects malformed prevResults', () => {
    assert.throws(() => parseResult('x'), /invalid prevResult: must be an object/);
    assert.throws(() => parseResult({ ips: [{ address: '10.0.0.1' }] }), /not an address with a prefix/);
    assert.throws(() => parseResult({ ips: {} }), /ips must be a list/);
  });
});
