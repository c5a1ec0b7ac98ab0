import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniCode, CniError } from '../../../src/cni/cni-error.js';
import { decodeStdin, parseNetConf } from '../../../src/cni/netconf.js';
import { resolveVersion } from '../../../src/cni/versions.js';

const base = {
  cniVersion: '1.0.0',
  name: 'k8s-pod-network',
  type: 'calico',
  etcd_endpoints: 'http://10.0.0.1:2379',
  ipam: { type: 'calico-ipam' },
};

function fails(fn: () => unknown, code: number, msg: RegExp, details?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CniError, `not a CniError: ${String(e)}`);
    assert.equal(e.cniCode, code, e.message);
    assert.match(e.message, msg);
    if (details) assert.match(e.details ?? '', details);
    return true;
  });
}

describe('netconf parsing', () => {
  it('reads Calico keys with their defaults', () => {
    const c = parseNetConf(base);
    assert.equal(c.cniVersion, '1.0.0');
    assert.equal(c.name, 'k8s-pod-network');
    assert.deepEqual(c.datastore, { datastoreType: 'etcdv3', etcdEndpoints: 'http://10.0.0.1:2379' });
    assert.equal(c.ipam.assignIPv4, true);
    assert.equal(c.ipam.assignIPv6, false);
    assert.equal(c.nodenameFile, '/var/lib/calico/nodename');
    assert.equal(c.nodenameFileOptional, false);
    assert.equal(c.ipamLockFile, '/var/run/calico/ipam.lock');
    assert.equal(c.mtu, 0);
    assert.equal(c.numQueues, 1);
    assert.equal(c.deviceType, 'veth');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.policyType, '');
    assert.equal(c.allowIpForwarding, false);
  });

  it('reads every supported key', () => {
    const c = parseNetConf({
      ...base,
      datastore_type: 'etcdv3',
      etcd_key_file: '/k',
      etcd_cert_file: '/c',
      etcd_ca_cert_file: '/ca',
      nodename: 'n1',
      nodename_file: '/x/nodename',
      nodename_file_optional: true,
      hostname: 'h',
      mtu: 1440,
      num_queues: 4,
      device_type: 'netkit',
      ipam_lock_file: '/tmp/l',
      log_level: 'DEBUG',
      log_file_path: '/tmp/cni.log',
      policy: { type: 'k8s' },
      container_settings: { allow_ip_forwarding: true },
      ipam: {
        type: 'calico-ipam',
        assign_ipv4: 'false',
        assign_ipv6: 'true',
        ipv4_pools: ['10.0.0.0/16', 'pool-a'],
        ipv6_pools: ['fd00::/48'],
      },
    });
    assert.deepEqual(c.datastore, {
      datastoreType: 'etcdv3',
      etcdEndpoints: 'http://10.0.0.1:2379',
      etcdKeyFile: '/k',
      etcdCertFile: '/c',
      etcdCACertFile: '/ca',
    });
    assert.equal(c.nodename, 'n1');
    assert.equal(c.nodenameFile, '/x/nodename');
    assert.equal(c.mtu, 1440);
    assert.equal(c.numQueues, 4);
    assert.equal(c.deviceType, 'netkit');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.policyType, 'k8s');
    assert.equal(c.allowIpForwarding, true);
    assert.equal(c.ipam.assignIPv4, false);
    assert.equal(c.ipam.assignIPv6, true);
    assert.deepEqual(c.ipam.ipv4Pools, ['10.0.0.0/16', 'pool-a']);
  });

  it('ignores unknown keys (other plugins and runtimes add their own)', () => {
    const c = parseNetConf({ ...base, capabilities: { portMappings: true }, runtimeConfig: {}, foo: 1 });
    assert.equal(c.name, 'k8s-pod-network');
  });

  it('falls back to ETCD_* (CALICO_ETCD_* first) for the datastore', () => {
    const { etcd_endpoints: _e, ...noEndpoints } = base;
    const c = parseNetConf(noEndpoints, {
      ETCD_ENDPOINTS: 'http://a:2379',
      CALICO_ETCD_ENDPOINTS: 'http://b:2379',
      ETCD_CA_CERT_FILE: '/ca',
    });
    assert.equal(c.datastore.etcdEndpoints, 'http://b:2379');
    assert.equal(c.datastore.etcdCACertFile, '/ca');
    assert.equal(
      parseNetConf(base, { ETCD_ENDPOINTS: 'http://a:2379' }).datastore.etcdEndpoints,
      base.etcd_endpoints,
    );
  });

  it('builds endpoints from the deprecated etcd_authority/etcd_scheme', () => {
    const { etcd_endpoints: _e, ...rest } = base;
    assert.equal(
      parseNetConf({ ...rest, etcd_authority: '10.1.1.1:2379', etcd_scheme: 'https' }).datastore
        .etcdEndpoints,
      'https://10.1.1.1:2379',
    );
  });

  it('treats num_queues <= 0 as 1 and maps unknown log levels to info', () => {
    const c = parseNetConf({ ...base, num_queues: -3, log_level: 'chatty' });
    assert.equal(c.numQueues, 1);
    assert.equal(c.logLevel, 'info');
  });

  it("rejects a missing or invalid network name with Calico's message", () => {
    const { name: _n, ...noName } = base;
    fails(() => parseNetConf(noName), CniCode.INVALID_NETCONF, /"name" is missing/);
    fails(
      () => parseNetConf({ ...base, name: 'bad name!' }),
      CniCode.INVALID_NETCONF,
      /^invalid characters detected in the given network name\. Only letters a-z, numbers 0-9, and symbols _\.- are supported$/,
    );
  });

  it('rejects wrong JSON types, naming the key and saying what it must be', () => {
    fails(() => parseNetConf({ ...base, mtu: '1400' }), 7, /"mtu" must be a whole number, got string "1400"/);
    fails(() => parseNetConf({ ...base, mtu: 20 }), 7, /"mtu" 20 is out of range/);
    fails(
      () => parseNetConf({ ...base, nodename_file_optional: 'yes' }),
      7,
      /"nodename_file_optional" must be true or false/,
    );
    fails(
      () => parseNetConf({ ...base, ipam: { type: 'calico-ipam', assign_ipv4: 'maybe' } }),
      7,
      /"ipam.assign_ipv4" must be "true" or "false"/,
    );
    fails(
      () => parseNetConf({ ...base, ipam: { type: 'calico-ipam', ipv4_pools: '10.0.0.0/8' } }),
      7,
      /"ipam.ipv4_pools" must be a list of strings/,
    );
    fails(() => parseNetConf({ ...base, policy: 'k8s' }), 7, /"policy" must be an object/);
    fails(
      () => parseNetConf({ ...base, container_settings: { allow_ip_forwarding: 1 } }),
      7,
      /container_settings.allow_ip_forwarding/,
    );
  });

  it('rejects incomplete configs and says what to add', () => {
    const { ipam: _i, ...noIpam } = base;
    fails(() => parseNetConf(noIpam), 7, /"ipam.type" is missing/, /"ipam": \{"type": "calico-ipam"\}/);
    const { etcd_endpoints: _e, ...noEtcd } = base;
    fails(() => parseNetConf(noEtcd), 7, /no etcd endpoints specified/, /etcd_endpoints/);
    fails(() => parseNetConf({ ...base, etcd_cert_file: '/c' }), 7, /certificate needs its key/);
    fails(
      () => parseNetConf({ ...base, etcd_discovery_srv: 'example.com' }),
      7,
      /both etcd_endpoints and etcd_discovery_srv/,
    );
  });

  it('rejects unsupported datastores, device types and policy types', () => {
    fails(
      () => parseNetConf({ ...base, datastore_type: 'kubernetes' }),
      7,
      /"kubernetes" is not supported/,
      /etcdv3/,
    );
    fails(() => parseNetConf({ ...base, datastore_type: 'consul' }), 7, /unknown datastore_type "consul"/);
    fails(
      () => parseNetConf({ ...base, device_type: 'macvlan' }),
      7,
      /^unknown device_type "macvlan" in CNI config \(supported: "veth", "netkit"\)$/,
    );
    fails(() => parseNetConf({ ...base, policy: { type: 'calico' } }), 7, /unknown policy.type "calico"/);
    fails(
      () => parseNetConf({ ...base, readiness_gates: ['http://x'] }),
      CniCode.UNSUPPORTED_FIELD,
      /readiness_gates/,
    );
    fails(
      () => parseNetConf({ ...base, dataplane_options: { type: 'grpc' } }),
      CniCode.UNSUPPORTED_FIELD,
      /invalid dataplane type: grpc/,
    );
  });

  it('decodes stdin strictly', () => {
    fails(() => decodeStdin(''), 7, /no network configuration on stdin/);
    fails(() => decodeStdin('{"name":'), 7, /failed to load netconf/);
    fails(() => decodeStdin('[1,2]'), 7, /expected a JSON object, got list/);
  });

  it('parses cni.dev/valid-attachments for GC', () => {
    const c = parseNetConf({ ...base, 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] });
    assert.deepEqual(c.validAttachments, [{ containerID: 'a', ifname: 'eth0' }]);
    fails(
      () => parseNetConf({ ...base, 'cni.dev/valid-attachments': [{ containerID: 1 }] }),
      7,
      /valid-attachments/,
    );
  });
});

describe('cniVersion', () => {
  it('accepts every version Calico supports, and 1.1.0', () => {
    for (const v of ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])
      assert.equal(resolveVersion(v), v);
  });
  it('treats a missing version as 0.2.0', () => {
    assert.equal(resolveVersion(undefined), '0.2.0');
    assert.equal(resolveVersion(''), '0.2.0');
  });
  it('rejects unknown and malformed versions with code 1 and the supported list', () => {
    fails(
      () => resolveVersion('2.0.0'),
      CniCode.INCOMPATIBLE_VERSION,
      /unsupported CNI version "2.0.0"/,
      /0\.1\.0, .*1\.1\.0/,
    );
    fails(() => resolveVersion('banana'), CniCode.INCOMPATIBLE_VERSION, /invalid cniVersion "banana"/);
    fails(() => resolveVersion(1), CniCode.INVALID_NETCONF, /must be a string/);
  });
});
