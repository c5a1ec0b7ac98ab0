import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvConfigError, parseNodeConfig, type ConfigSources } from '../../../src/node/config.js';
import { isCalicoError } from '../../../src/errors/index.js';

const noFiles: ConfigSources = { readFile: () => undefined, hostname: () => 'OS-Host' };

function parse(env: Record<string, string>, sources: ConfigSources = noFiles) {
  return parseNodeConfig({ NODENAME: 'node-a', ...env }, sources);
}

/** Asserts a CONFIG error that names the variable and quotes the value. */
function rejects(env: Record<string, string>, variable: string, expected?: RegExp): EnvConfigError {
  let err: unknown;
  try {
    parse(env);
  } catch (e) {
    err = e;
  }
  assert.ok(isCalicoError(err, 'CONFIG'), `expected a CONFIG error, got ${String(err)}`);
  assert.ok(err instanceof EnvConfigError, `expected EnvConfigError, got ${String(err)}`);
  assert.equal(err.variable, variable);
  assert.ok(err.message.includes(variable), err.message);
  assert.ok(err.message.includes(JSON.stringify(env[variable] ?? '')), err.message);
  if (expected) assert.match(err.message, expected);
  return err;
}

describe('node config: node name', () => {
  it('NODENAME wins (trimmed, case kept)', () => {
    const c = parseNodeConfig({ NODENAME: '  node-1 ', HOSTNAME: 'other' }, noFiles);
    assert.equal(c.nodeName, 'node-1');
    assert.equal(c.nodeNameSource, 'NODENAME');
  });
  it('then the nodename file, then HOSTNAME (lower-cased), then the OS hostname (lower-cased)', () => {
    const files: ConfigSources = {
      readFile: (p) => (p === '/tmp/nn' ? 'from-file\n' : undefined),
      hostname: () => 'OS-Host',
    };
    assert.equal(
      parseNodeConfig({ CALICO_NODENAME_FILE: '/tmp/nn', HOSTNAME: 'h' }, files).nodeName,
      'from-file',
    );
    assert.equal(parseNodeConfig({ CALICO_NODENAME_FILE: '/tmp/nn' }, files).nodenameFile, '/tmp/nn');
    const h = parseNodeConfig({ HOSTNAME: ' Host-B ' }, noFiles);
    assert.deepEqual([h.nodeName, h.nodeNameSource], ['host-b', 'HOSTNAME']);
    const o = parseNodeConfig({}, noFiles);
    assert.deepEqual([o.nodeName, o.nodeNameSource], ['os-host', 'hostname']);
  });
  it('rejects a name that cannot be a Node name', () => {
    rejects({ NODENAME: 'bad_name' }, 'NODENAME', /valid node name/);
  });
});

describe('node config: IP and IP6', () => {
  it('unset, autodetect, none', () => {
    assert.deepEqual(parse({}).ipv4, { mode: 'unset' });
    assert.deepEqual(parse({ IP: 'autodetect' }).ipv4, { mode: 'autodetect' });
    assert.deepEqual(parse({ IP6: 'none' }).ipv6, { mode: 'none' });
  });
  it('explicit IPv4 keeps a given prefix and leaves a bare one open (interface lookup later)', () => {
    assert.deepEqual(parse({ IP: '10.0.0.5/24' }).ipv4, {
      mode: 'explicit',
      address: '10.0.0.5',
      prefix: 24,
    });
    assert.deepEqual(parse({ IP: '10.0.0.5' }).ipv4, { mode: 'explicit', address: '10.0.0.5' });
  });
  it('explicit IPv6: bare means /128, text normalised', () => {
    assert.deepEqual(parse({ IP6: 'fd00:0::5' }).ipv6, { mode: 'explicit', address: 'fd00::5', prefix: 128 });
    assert.deepEqual(parse({ IP6: 'fd00::5/64' }).ipv6, { mode: 'explicit', address: 'fd00::5', prefix: 64 });
  });
  it('wrong family or garbage names the variable and what is accepted', () => {
    const e = rejects({ IP: 'fd00::1' }, 'IP', /autodetect, none, or an IPv4 address/);
    assert.match(e.hint!, /Environment does not contain a valid IPv4 address/);
    rejects({ IP6: '10.0.0.1' }, 'IP6', /IPv6 address/);
    rejects({ IP: '10.0.0.300' }, 'IP');
    rejects({ IP: 'Autodetect' }, 'IP');
  });
});

describe('node config: autodetection methods', () => {
  it('parses every method', () => {
    assert.equal(parse({}).ipv4Autodetection.kind, 'first-found');
    assert.equal(parse({ IP_AUTODETECTION_METHOD: 'first-found' }).ipv4Autodetection.kind, 'first-found');
    const i = parse({ IP_AUTODETECTION_METHOD: 'interface=eth.*, ens3' }).ipv4Autodetection;
    assert.equal(i.kind, 'interface');
    assert.deepEqual(i.kind === 'interface' && i.patterns.map((p) => p.source), ['eth.*', 'ens3']);
    const s = parse({ IP_AUTODETECTION_METHOD: 'skip-interface=eth0' }).ipv4Autodetection;
    assert.equal(s.kind, 'skip-interface');
    assert.deepEqual(parse({ IP_AUTODETECTION_METHOD: 'can-reach=8.8.8.8' }).ipv4Autodetection, {
      kind: 'can-reach',
      destination: '8.8.8.8',
    });
    assert.deepEqual(parse({ IP_AUTODETECTION_METHOD: 'can-reach=www.example.com' }).ipv4Autodetection, {
      kind: 'can-reach',
      destination: 'www.example.com',
    });
    const c = parse({ IP6_AUTODETECTION_METHOD: 'cidr=fd00::/8, 2001:db8::/32' }).ipv6Autodetection;
    assert.equal(c.kind, 'cidr');
    assert.equal(c.kind === 'cidr' && c.cidrs.length, 2);
  });
  it('bad methods are CONFIG errors naming the variable', () => {
    rejects({ IP_AUTODETECTION_METHOD: 'nearest' }, 'IP_AUTODETECTION_METHOD', /first-found, interface=/);
    rejects({ IP_AUTODETECTION_METHOD: 'interface=' }, 'IP_AUTODETECTION_METHOD', /at least one/);
    rejects(
      { IP_AUTODETECTION_METHOD: 'interface=eth[' },
      'IP_AUTODETECTION_METHOD',
      /valid regular expressions/,
    );
    rejects({ IP_AUTODETECTION_METHOD: 'cidr=10.0.0.0/33' }, 'IP_AUTODETECTION_METHOD', /CIDRs/);
    rejects({ IP_AUTODETECTION_METHOD: 'cidr=fd00::/8' }, 'IP_AUTODETECTION_METHOD', /IPv4 CIDRs/);
    rejects(
      { IP6_AUTODETECTION_METHOD: 'can-reach=8.8.8.8' },
      'IP6_AUTODETECTION_METHOD',
      /IPv6 destination/,
    );
    rejects({ IP_AUTODETECTION_METHOD: 'can-reach=not a host' }, 'IP_AUTODETECTION_METHOD', /can-reach=/);
  });
  it('kubernetes-internal-ip is a clear unsupported error', () => {
    assert.throws(
      () => parse({ IP_AUTODETECTION_METHOD: 'kubernetes-internal-ip' }),
      (e: unknown) =>
        isCalicoError(e, 'CONFIG') &&
        /IP_AUTODETECTION_METHOD=kubernetes-internal-ip is not supported/.test(e.message) &&
        /can-reach/.test(e.hint ?? ''),
    );
  });
});

describe('node config: AS, backend, router id, misc', () => {
  it('AS plain or dotted; bad AS rejected', () => {
    assert.equal(parse({ AS: '64512' }).asNumber, 64512);
    assert.equal(parse({ AS: '1.10' }).asNumber, 65546);
    assert.equal(parse({}).asNumber, undefined);
    rejects({ AS: '4294967296' }, 'AS', /AS number/);
    rejects({ AS: 'abc' }, 'AS');
  });
  it('CALICO_NETWORKING_BACKEND: bird default, vxlan, none; others rejected', () => {
    assert.equal(parse({}).networkingBackend, 'bird');
    assert.equal(parse({ CALICO_NETWORKING_BACKEND: 'vxlan' }).networkingBackend, 'vxlan');
    assert.equal(parse({ CALICO_NETWORKING_BACKEND: 'none' }).networkingBackend, 'none');
    rejects(
      { CALICO_NETWORKING_BACKEND: 'gobgp' },
      'CALICO_NETWORKING_BACKEND',
      /bird \(the default\), vxlan or none/,
    );
  });
  it('legacy CALICO_NETWORKING wins, with a deprecation warning', () => {
    const c = parse({ CALICO_NETWORKING: 'false', CALICO_NETWORKING_BACKEND: 'bird' });
    assert.equal(c.networkingBackend, 'none');
    assert.match(c.warnings[0], /deprecated/);
    assert.equal(parse({ CALICO_NETWORKING: 'true' }).networkingBackend, 'bird');
  });
  it('CALICO_ROUTER_ID: hash or IPv4', () => {
    assert.equal(parse({ CALICO_ROUTER_ID: 'hash' }).routerId, 'hash');
    assert.equal(parse({ CALICO_ROUTER_ID: '10.1.1.1' }).routerId, '10.1.1.1');
    rejects({ CALICO_ROUTER_ID: 'fd00::1' }, 'CALICO_ROUTER_ID', /hash, or an IPv4 address/);
  });
  it('FELIX_* passthrough, lower-cased names; FELIX_IPV6SUPPORT and host encryption read from it', () => {
    const c = parse({
      FELIX_IPV6SUPPORT: 'False',
      FELIX_HealthEnabled: 'true',
      Felix_LogSeverityScreen: 'Debug',
    });
    assert.deepEqual(c.felix, { ipv6support: 'False', healthenabled: 'true', logseverityscreen: 'Debug' });
    assert.equal(c.ipv6Support, false);
    assert.equal(parse({}).ipv6Support, true);
    assert.equal(parse({ FELIX_WIREGUARDHOSTENCRYPTIONENABLED: 'TRUE' }).wireguardHostEncryption, true);
  });
  it('switches that need a literal true', () => {
    const c = parse({
      CALICO_DISABLE_FILE_LOGGING: 'true',
      DISABLE_NODE_IP_CHECK: 'true',
      WAIT_FOR_DATASTORE: 'true',
      CALICO_DISABLE_FELIX: 'yes',
    });
    assert.deepEqual(
      [c.disableFileLogging, c.disableNodeIPCheck, c.waitForDatastore, c.disableFelix],
      [true, true, true, true],
    );
    const d = parse({ CALICO_DISABLE_FILE_LOGGING: 'yes' });
    assert.equal(d.disableFileLogging, false);
  });
  it('CLUSTER_TYPE, CALICO_K8S_NODE_REF, poll interval and startup log level', () => {
    const c = parse({
      CLUSTER_TYPE: 'k8s,bgp',
      CALICO_K8S_NODE_REF: 'k8s-node-1',
      AUTODETECT_POLL_INTERVAL: '5m',
      CALICO_STARTUP_LOGLEVEL: 'WARNING',
    });
    assert.deepEqual(
      [c.clusterType, c.k8sNodeRef, c.autodetectPollIntervalMs, c.startupLogLevel],
      ['k8s,bgp', 'k8s-node-1', 300_000, 'warn'],
    );
    assert.equal(parse({}).autodetectPollIntervalMs, 60_000);
    rejects({ AUTODETECT_POLL_INTERVAL: '5 minutes' }, 'AUTODETECT_POLL_INTERVAL', /duration/);
    rejects({ CALICO_STARTUP_LOGLEVEL: 'loud' }, 'CALICO_STARTUP_LOGLEVEL');
  });
});

describe('node config: default pools', () => {
  it('defaults: v4 NAT on, block 26, all(); v6 NAT off, block 122; no CIDR means "choose later"', () => {
    const c = parse({});
    assert.deepEqual(c.ipv4Pool, {
      family: 4,
      cidr: undefined,
      ipipMode: 'Never',
      vxlanMode: 'Never',
      natOutgoing: true,
      disableBGPExport: false,
      blockSize: 26,
      nodeSelector: 'all()',
    });
    assert.equal(c.ipv6Pool?.natOutgoing, false);
    assert.equal(c.ipv6Pool?.blockSize, 122);
  });
  it('reads every CALICO_IPV4POOL_* variable; modes are case-insensitive; CIDR is masked', () => {
    const c = parse({
      CALICO_IPV4POOL_CIDR: '10.244.1.0/16',
      CALICO_IPV4POOL_IPIP: 'CrossSubnet',
      CALICO_IPV4POOL_VXLAN: 'off',
      CALICO_IPV4POOL_NAT_OUTGOING: 'No',
      CALICO_IPV4POOL_BLOCK_SIZE: '24',
      CALICO_IPV4POOL_NODE_SELECTOR: 'zone == "a"',
      CALICO_IPV4POOL_DISABLE_BGP_EXPORT: 'yes',
    });
    assert.deepEqual(c.ipv4Pool, {
      family: 4,
      cidr: '10.244.0.0/16',
      ipipMode: 'CrossSubnet',
      vxlanMode: 'Never',
      natOutgoing: false,
      disableBGPExport: true,
      blockSize: 24,
      nodeSelector: 'zone == "a"',
    });
    assert.equal(parse({ CALICO_IPV4POOL_VXLAN: 'ALWAYS' }).ipv4Pool?.vxlanMode, 'Always');
    assert.equal(parse({ CALICO_IPV4POOL_IPIP: 'cross-subnet' }).ipv4Pool?.ipipMode, 'CrossSubnet');
  });
  it('booleans: any value other than false/0/no/n/f is true', () => {
    assert.equal(parse({ CALICO_IPV6POOL_NAT_OUTGOING: 'whatever' }).ipv6Pool?.natOutgoing, true);
    assert.equal(parse({ CALICO_IPV4POOL_NAT_OUTGOING: 'F' }).ipv4Pool?.natOutgoing, false);
  });
  it('none disables a family; NO_DEFAULT_POOLS disables both', () => {
    assert.equal(parse({ CALICO_IPV4POOL_CIDR: 'none' }).ipv4Pool, undefined);
    assert.equal(parse({ CALICO_IPV6POOL_CIDR: 'none' }).ipv6Pool, undefined);
    const c = parse({ NO_DEFAULT_POOLS: 'TRUE' });
    assert.deepEqual([c.noDefaultPools, c.ipv4Pool, c.ipv6Pool], [true, undefined, undefined]);
  });
  it('bad pool variables are rejected with what is accepted', () => {
    rejects({ CALICO_IPV4POOL_BLOCK_SIZE: '33' }, 'CALICO_IPV4POOL_BLOCK_SIZE', /integer from 20 to 32/);
    rejects({ CALICO_IPV4POOL_BLOCK_SIZE: 'big' }, 'CALICO_IPV4POOL_BLOCK_SIZE');
    rejects({ CALICO_IPV6POOL_BLOCK_SIZE: '112' }, 'CALICO_IPV6POOL_BLOCK_SIZE', /116 to 128/);
    rejects(
      { CALICO_IPV4POOL_IPIP: 'sometimes' },
      'CALICO_IPV4POOL_IPIP',
      /Never \(or off\), Always, or CrossSubnet/,
    );
    rejects({ CALICO_IPV6POOL_VXLAN: 'yes' }, 'CALICO_IPV6POOL_VXLAN');
    rejects({ CALICO_IPV4POOL_CIDR: 'fd00::/48' }, 'CALICO_IPV4POOL_CIDR', /IPv4 CIDR/);
    rejects({ CALICO_IPV6POOL_CIDR: '10.0.0.0/8' }, 'CALICO_IPV6POOL_CIDR', /IPv6 CIDR/);
    rejects({ CALICO_IPV4POOL_NODE_SELECTOR: 'zone ==' }, 'CALICO_IPV4POOL_NODE_SELECTOR', /selector/);
    rejects(
      { CALICO_IPV4POOL_IPIP: 'Always', CALICO_IPV4POOL_VXLAN: 'Always' },
      'CALICO_IPV4POOL_VXLAN',
      /cannot use IPIP and VXLAN at once/,
    );
    rejects(
      { NO_DEFAULT_POOLS: 'true', CALICO_IPV4POOL_CIDR: '10.0.0.0/16' },
      'CALICO_IPV4POOL_CIDR',
      /NO_DEFAULT_POOLS/,
    );
  });
  it('with NO_DEFAULT_POOLS, unused pool variables are not judged (as in Calico)', () => {
    assert.equal(parse({ NO_DEFAULT_POOLS: 'true', CALICO_IPV4POOL_BLOCK_SIZE: '99' }).noDefaultPools, true);
  });
});
