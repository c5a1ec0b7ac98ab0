#!/usr/bin/env node
/**
 * The main job for now: a throwaway etcd on 127.0.0.1, Calico resources applied with the real
 * calicoctl, and what a Calico user expects to see. Replaced by the calico-lab demo later.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../src/lab/etcd-server.js';

const CALICOCTL = fileURLToPath(new URL('./calicoctl.js', import.meta.url));

const SEEDS =
  readFileSync(new URL('../../examples/seeds.yaml', import.meta.url), 'utf8') +
  `---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-web
spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [80, 443]
`;

const BAD = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: overlapping
spec:
  cidr: 10.244.128.0/17
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: sloppy
spec:
  cidr: 10.9.0.1/16
  blockSize: 40
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'calico-ts-demo-'));
  process.stdout.write('Starting a throwaway etcd on 127.0.0.1 ...\n');
  const etcd = await startEtcd();
  const env = { ...process.env, ...etcd.env() };
  process.stdout.write(`etcd ${etcd.clientUrl} (pid ${etcd.pid}); export ETCD_ENDPOINTS=${etcd.clientUrl}\n`);
  const show = (cmd: string, args: string[], input?: string) => {
    process.stdout.write(`\n$ ${cmd} ${args.join(' ')}\n`);
    const bin = cmd === 'calicoctl' ? process.execPath : cmd;
    const argv = cmd === 'calicoctl' ? [CALICOCTL, ...args] : args;
    const r = spawnSync(bin, argv, { env, input, encoding: 'utf8' });
    process.stdout.write(r.stdout + r.stderr);
    if (cmd === 'calicoctl') process.stdout.write(`(exit ${r.status})\n`);
  };
  try {
    const seeds = join(dir, 'seeds.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(seeds, SEEDS);
    writeFileSync(bad, BAD);
    show('calicoctl', ['apply', '-f', seeds]);
    show('calicoctl', ['get', 'ippool', '-o', 'wide']);
    show('calicoctl', ['get', 'bgppeer']);
    show('calicoctl', ['get', 'bgpconfig', '-o', 'wide']);
    show('calicoctl', ['get', 'nodes', '-o', 'wide']);
    show('calicoctl', ['get', 'tiers']);
    show('calicoctl', ['get', 'gnp', '-o', 'wide']);
    show('calicoctl', ['get', 'ippool', 'default-ipv4-ippool', '-o', 'yaml']);
    show('calicoctl', ['label', 'nodes', 'node1', 'rack=r1']);
    show('calicoctl', ['apply', '-f', bad]);
    show('calicoctl', ['delete', 'tier', 'default']);
    show('etcdctl', [
      '--endpoints',
      etcd.clientUrl,
      'get',
      '--prefix',
      '--keys-only',
      '/calico/resources/v3/projectcalico.org/',
    ]);
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write('\netcd stopped, temp files removed.\n');
  }
}

await main();
