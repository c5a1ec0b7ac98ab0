import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { containerVethName, workloadVethName } from '../../../src/net/index.js';

const sha1hex = (s: string) => createHash('sha1').update(s).digest('hex');

test('Kubernetes workload veth names hash "<namespace>.<pod>"', () => {
  assert.equal(workloadVethName('default', 'nginx'), `cali${sha1hex('default.nginx').slice(0, 11)}`);
  assert.equal(workloadVethName('default', 'nginx'), 'calic440f455693');
  assert.equal(
    workloadVethName('kube-system', 'coredns-abc', 'tap'),
    `tap${sha1hex('kube-system.coredns-abc').slice(0, 11)}`,
  );
  assert.notEqual(workloadVethName('a', 'b.c'), workloadVethName('a', 'b'));
});

test('property: k8s veth names are prefix + 11 lower-case hex, 15 chars with the default prefix', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (ns, pod) => {
      const n = workloadVethName(ns, pod);
      assert.match(n, /^cali[0-9a-f]{11}$/);
      assert.equal(n.length, 15);
    }),
  );
});

test('plain CNI veth names use the first 11 chars of the container id', () => {
  const id = '3f2a9c0e1b7d4e8fa6c5b4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3';
  assert.equal(containerVethName(id), 'cali3f2a9c0e1b7');
  assert.equal(containerVethName('abc'), 'caliabc');
  assert.equal(containerVethName(id, 'tap'), 'tap3f2a9c0e1b7');
});
