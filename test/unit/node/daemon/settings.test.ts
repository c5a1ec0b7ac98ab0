import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCalicoError } from '../../../../src/errors/index.js';
import { felixOverridesFromEnv, felixPolicyEnv } from '../../../../src/node/daemon/felix-env.js';
import { remapHostFiles, resolvePaths, startupEnv } from '../../../../src/node/daemon/paths.js';
import { parseDaemonSettings } from '../../../../src/node/daemon/settings.js';
import type { HostFiles } from '../../../../src/node/startup/host-files.js';

describe('daemon settings', () => {
  it('health on by default at localhost:9099; metrics off by default at :9091', () => {
    const s = parseDaemonSettings({});
    assert.deepEqual(s.health, { enabled: true, host: 'localhost', port: 9099 });
    assert.deepEqual(s.metrics, { enabled: false, host: '', port: 9091, processMetrics: true });
    assert.equal(s.logLevel, 'info');
    assert.equal(s.felixLogLevel, 'info');
  });

  it('reads Felix’s variables', () => {
    const s = parseDaemonSettings({
      FELIX_HEALTHENABLED: 'false',
      FELIX_HEALTHHOST: '0.0.0.0',
      FELIX_HEALTHPORT: '19099',
      FELIX_PROMETHEUSMETRICSENABLED: 'true',
      FELIX_PROMETHEUSMETRICSPORT: '0',
      FELIX_PROMETHEUSPROCESSMETRICSENABLED: 'false',
      CALICO_LOG_LEVEL: 'Warning',
      FELIX_LOGSEVERITYSCREEN: 'DEBUG',
    });
    assert.deepEqual(s.health, { enabled: false, host: '0.0.0.0', port: 19099 });
    assert.deepEqual(s.metrics, { enabled: true, host: '', port: 0, processMetrics: false });
    assert.equal(s.logLevel, 'warn');
    assert.equal(s.felixLogLevel, 'debug');
    // Felix follows CALICO_LOG_LEVEL unless told otherwise.
    assert.equal(parseDaemonSettings({ CALICO_LOG_LEVEL: 'error' }).felixLogLevel, 'error');
  });

  it('bad ports and levels are CONFIG errors naming the variable', () => {
    for (const [k, v] of [
      ['FELIX_HEALTHPORT', 'http'],
      ['FELIX_PROMETHEUSMETRICSPORT', '70000'],
      ['CALICO_LOG_LEVEL', 'loud'],
      ['FELIX_LOGSEVERITYSCREEN', 'chatty'],
    ]) {
      assert.throws(
        () => parseDaemonSettings({ [k]: v }),
        (e) => isCalicoError(e, 'CONFIG') && (e as Error).message.includes(k),
        k,
      );
    }
  });
});

describe('state paths', () => {
  it('defaults are Calico’s', () => {
    const p = resolvePaths({});
    assert.equal(p.birdSocket, '/var/run/calico/bird.ctl');
    assert.equal(p.birdConfig, '/var/run/calico/bird.cfg');
    assert.equal(p.birdPidFile, '/var/run/calico/bird.pid');
    assert.equal(p.cniAgentSocket, '/var/run/calico/cni-agent.sock');
    assert.equal(p.nodenameFile, '/var/lib/calico/nodename');
    assert.equal(p.mtuFile, '/var/lib/calico/mtu');
  });

  it('CALICO_RUN_DIR / CALICO_STATE_DIR move everything; explicit files still win', () => {
    const p = resolvePaths({ CALICO_RUN_DIR: '/r', CALICO_STATE_DIR: '/s' });
    assert.deepEqual(
      [p.birdSocket, p.birdConfig, p.birdPidFile, p.cniAgentSocket, p.nodenameFile, p.mtuFile],
      ['/r/bird.ctl', '/r/bird.cfg', '/r/bird.pid', '/r/cni-agent.sock', '/s/nodename', '/s/mtu'],
    );
    const q = resolvePaths({
      CALICO_RUN_DIR: '/r',
      CALICO_NODENAME_FILE: '/n',
      CALICO_CNI_AGENT_SOCKET: '/a.sock',
      CALICO_BIRD_SOCKET: '/b.ctl',
    });
    assert.deepEqual([q.nodenameFile, q.cniAgentSocket, q.birdSocket], ['/n', '/a.sock', '/b.ctl']);
    assert.equal(startupEnv({ X: '1' }, p).CALICO_NODENAME_FILE, '/s/nodename');
  });

  it('startup’s fixed directories are mapped onto ours', async () => {
    const seen: string[] = [];
    const files: HostFiles = {
      ensureDir: async (d) => {
        seen.push(`dir ${d}`);
        return false;
      },
      writeFile: async (f) => {
        seen.push(`file ${f}`);
      },
    };
    const m = remapHostFiles(
      files,
      resolvePaths({ CALICO_RUN_DIR: '/r', CALICO_STATE_DIR: '/s', CALICO_LOG_DIR: '/l' }),
    );
    await m.ensureDir('/var/run/calico');
    await m.ensureDir('/var/lib/calico');
    await m.ensureDir('/var/log/calico');
    await m.writeFile('/var/lib/calico/nodename', 'h1');
    await m.writeFile('/etc/other', 'x');
    await m.ensureDir('/var/run/calicox');
    assert.deepEqual(seen, [
      'dir /r',
      'dir /s',
      'dir /l',
      'file /s/nodename',
      'file /etc/other',
      'dir /var/run/calicox',
    ]);
  });
});

describe('FELIX_* routing overrides', () => {
  it('decodes as FelixConfiguration fields do', () => {
    const { overrides, problems } = felixOverridesFromEnv('h1', {
      vxlanvni: '5000',
      vxlanenabled: 'true',
      interfaceprefix: 'cali,tap',
      routerefreshinterval: '30',
      programclusterroutes: 'Enabled',
      natportrange: '1000:2000',
      healthenabled: 'true',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(overrides, {
      vxlanVNI: 5000,
      vxlanEnabled: true,
      interfacePrefixes: ['cali', 'tap'],
      routeRefreshMs: 30_000,
      programClusterRoutes: 'Enabled',
      natPortRange: [1000, 2000],
    });
    assert.equal(
      felixOverridesFromEnv('h1', { routerefreshinterval: '1m30s' }).overrides.routeRefreshMs,
      90_000,
    );
  });

  it('reports values it cannot use instead of applying them', () => {
    const { overrides, problems } = felixOverridesFromEnv('h1', {
      vxlanvni: 'many',
      ipipenabled: 'perhaps',
      programclusterroutes: 'Sometimes',
    });
    assert.deepEqual(overrides, {});
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^FELIX_VXLANVNI=many/);
  });
});

describe('FELIX_* policy settings', () => {
  it('become FelixConfiguration fields that the policy calculation layers on top', () => {
    const env = felixPolicyEnv({ ipv6support: 'false', nftablesmode: 'Disabled', vxlanvni: '5000' });
    assert.deepEqual(env, { spec: { ipv6Support: false, nftablesMode: 'Disabled' }, problems: [] });
    assert.match(felixPolicyEnv({ ipv6support: 'maybe' }).problems[0], /^FELIX_IPV6SUPPORT=maybe/);
  });
});
