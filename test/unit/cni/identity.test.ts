import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CniError } from '../../../src/cni/cni-error.js';
import { parseCniArgs, parseCniEnv } from '../../../src/cni/cni-env.js';
import { interfacePrefix, resolveNodename, workloadIdentity } from '../../../src/cni/identity.js';
import { parseNetConf } from '../../../src/cni/netconf.js';

const conf = (extra: Record<string, unknown> = {}) =>
  parseNetConf({
    cniVersion: '1.0.0',
    name: 'net1',
    etcd_endpoints: 'http://e:2379',
    ipam: { type: 'calico-ipam' },
    ...extra,
  });

const env = (extra: Record<string, string> = {}) => ({
  CNI_CONTAINERID: 'abcdef0123456789',
  CNI_NETNS: '/run/netns/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
  ...extra,
});

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CniError);
    return e.cniCode;
  }
  return -1;
}

describe('workload identity and naming', () => {
  it('Kubernetes pods: k8s WEP name, sha1-based veth, handles', () => {
    const e = parseCniEnv(
      'ADD',
      env({ CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=web-0' }),
    );
    const ids = workloadIdentity(conf(), e, 'node-1', {});
    const hex = createHash('sha1').update('kube-system.web-0').digest('hex');
    assert.equal(ids.orchestrator, 'k8s');
    assert.equal(ids.namespace, 'kube-system');
    assert.equal(ids.wepName, 'node--1-k8s-web--0-eth0');
    assert.equal(ids.hostVeth, `cali${hex.slice(0, 11)}`);
    assert.equal(ids.hostVeth.length, 15);
    assert.equal(ids.handleId, 'net1.abcdef0123456789');
    assert.equal(ids.legacyHandleId, 'kube-system.web-0');
  });

  it('plain CNI containers: cni WEP name, container-id veth, namespace default', () => {
    const ids = workloadIdentity(conf(), parseCniEnv('ADD', env()), 'node1', {});
    assert.equal(ids.orchestrator, 'cni');
    assert.equal(ids.namespace, 'default');
    assert.equal(ids.wepName, 'node1-cni-abcdef0123456789-eth0');
    assert.equal(ids.hostVeth, 'caliabcdef01234');
    assert.equal(ids.legacyHandleId, 'abcdef0123456789');
    const short = workloadIdentity(conf(), parseCniEnv('ADD', env({ CNI_CONTAINERID: 'c1' })), 'node1', {});
    assert.equal(short.hostVeth, 'calic1');
  });

  it('only namespace or only pod name is not Kubernetes', () => {
    const ids = workloadIdentity(conf(), parseCniEnv('ADD', env({ CNI_ARGS: 'K8S_POD_NAME=web' })), 'n', {});
    assert.equal(ids.orchestrator, 'cni');
  });

  it('FELIX_INTERFACEPREFIX changes the veth prefix (first entry)', () => {
    assert.equal(interfacePrefix({ FELIX_INTERFACEPREFIX: 'tap,cali' }), 'tap');
    assert.equal(interfacePrefix({}), 'cali');
    const ids = workloadIdentity(conf(), parseCniEnv('ADD', env()), 'n', { FELIX_INTERFACEPREFIX: 'tap' });
    assert.equal(ids.hostVeth, 'tapabcdef01234');
  });

  it('names that cannot form a WEP name are an environment error', () => {
    assert.equal(
      code(() => workloadIdentity(conf(), parseCniEnv('ADD', env()), '-node', {})),
      4,
    );
  });
});

describe('node name resolution', () => {
  const files = (m: Record<string, string>) => ({
    readFile: (p: string) => m[p],
    hostname: () => 'OS-Host ',
  });
  it('nodename > nodename file > hostname > OS host name', () => {
    const f = files({ '/var/lib/calico/nodename': 'from-file\n' });
    assert.equal(resolveNodename(conf({ nodename: 'explicit' }), f), 'explicit');
    assert.equal(resolveNodename(conf({ hostname: 'h' }), f), 'from-file');
    assert.equal(resolveNodename(conf({ hostname: 'h', nodename_file_optional: true }), files({})), 'h');
    assert.equal(resolveNodename(conf({ nodename_file_optional: true }), files({})), 'os-host');
  });
  it("the nodename file must exist unless optional, with Calico's advice", () => {
    assert.throws(
      () => resolveNodename(conf({ nodename: 'x' }), files({})),
      /no such file or directory: check that the calico\/node container is running and has mounted \/var\/lib\/calico\//,
    );
  });
});

describe('CNI environment', () => {
  it('requires the variables each command needs (code 4)', () => {
    assert.throws(
      () => parseCniEnv('ADD', {}),
      /required env variables \[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH\] missing/,
    );
    assert.doesNotThrow(() => parseCniEnv('DEL', env({ CNI_NETNS: '' })));
    assert.equal(
      code(() => parseCniEnv('CHECK', env({ CNI_NETNS: '' }))),
      4,
    );
    assert.doesNotThrow(() => parseCniEnv('GC', { CNI_PATH: '/x' }));
  });
  it('checks container ids and interface names', () => {
    assert.throws(
      () => parseCniEnv('ADD', env({ CNI_CONTAINERID: 'a b' })),
      /invalid characters in containerID/,
    );
    assert.throws(() => parseCniEnv('ADD', env({ CNI_IFNAME: 'averyveryverylongname' })), /longer than 15/);
    assert.throws(() => parseCniEnv('ADD', env({ CNI_IFNAME: 'a/b' })), /contains/);
  });
  it('parses CNI_ARGS pairs', () => {
    assert.deepEqual(
      [...parseCniArgs('IgnoreUnknown=1;IP=10.0.0.5;K8S_POD_NAME=a=b')],
      [
        ['IgnoreUnknown', '1'],
        ['IP', '10.0.0.5'],
        ['K8S_POD_NAME', 'a=b'],
      ],
    );
    assert.throws(() => parseCniArgs('novalue'), /ARGS: invalid pair "novalue"/);
  });
});
