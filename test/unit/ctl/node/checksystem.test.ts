import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CommanderError } from 'commander';
import {
  CHECKSYSTEM_FAILED,
  resultLine,
  runNodeCheckSystem,
  type CheckSystemDeps,
} from '../../../../src/ctl/commands/node/checksystem.js';
import { kernelAtLeast } from '../../../../src/ctl/commands/node/kernel-version.js';
import { KERNEL_MODULES } from '../../../../src/ctl/commands/node/kernel-modules.js';
import { CommandError, type CtlIO } from '../../../../src/ctl/io.js';

const REL = '6.1.0-test';
const ALL_CONFIG = [
  'CONFIG_IP_SET=y',
  'CONFIG_IP6_NF_IPTABLES=m',
  'CONFIG_IP_NF_IPTABLES=y',
  'CONFIG_NETFILTER_XT_MATCH_IPVS=m',
  'CONFIG_VFIO_PCI=m',
  'CONFIG_NETFILTER_XT_MATCH_BPF=y',
  'CONFIG_IP_NF_TARGET_REJECT=m',
  'CONFIG_IP_NF_MATCH_RPFILTER=m',
  'CONFIG_NF_CT_NETLINK=y',
  'CONFIG_NETFILTER_XT_MATCH_ADDRTYPE=y',
  'CONFIG_NETFILTER_XT_MATCH_CONNTRACK=y',
  'CONFIG_NETFILTER_XT_MARK=y',
  'CONFIG_NETFILTER_XT_MATCH_MULTIPORT=y',
  'CONFIG_NETFILTER_XT_SET=m',
  'CONFIG_NETFILTER_XT_MATCH_U32=m',
];

async function put(root: string, path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

async function check(root: string, opts: { kernelConfig?: string; release?: string; isRoot?: boolean } = {}) {
  const out = { stdout: '', error: undefined as unknown };
  const io: CtlIO = {
    stdout: (t) => void (out.stdout += t),
    stderr: () => undefined,
    env: {},
    readStdin: async () => '',
  };
  const deps: CheckSystemDeps = {
    isRoot: () => opts.isRoot ?? true,
    kernelRelease: () => `${opts.release ?? REL}\n`,
    root,
  };
  try {
    await runNodeCheckSystem(io, { kernelConfig: opts.kernelConfig }, deps);
  } catch (e) {
    out.error = e;
  }
  return out;
}

const ok = (names: string[]) => names.map((n) => resultLine(n, 'OK')).join('');

describe('calicoctl node checksystem', () => {
  let base: string;
  let n = 0;
  const fresh = async () => {
    const d = join(base, `t${n++}`);
    await mkdir(d);
    return d;
  };
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'ctlnode-checksystem-'));
  });
  after(async () => rm(base, { recursive: true, force: true }));

  it("formats result lines as calicoctl's %-20s between tabs", () => {
    assert.equal(resultLine('ip_set', 'OK'), '\t\tip_set              \t\t\t\t\tOK\n');
    assert.equal(resultLine('nf_conntrack_netlink', 'FAIL'), '\t\tnf_conntrack_netlink\t\t\t\t\tFAIL\n');
    assert.equal(
      resultLine('a-much-longer-value-than-20', 'SKIP'),
      '\t\ta-much-longer-value-than-20\t\t\t\t\tSKIP\n',
    );
  });

  it('compares kernel versions numerically against 2.6.24', () => {
    assert.ok(kernelAtLeast('6.18.44-fc-v657'));
    assert.ok(kernelAtLeast('2.6.24'));
    assert.ok(kernelAtLeast('2.6.24.1-foo'));
    assert.ok(kernelAtLeast('3.0'));
    assert.ok(!kernelAtLeast('2.6.23.9'));
    assert.ok(!kernelAtLeast('2.6'));
    assert.ok(!kernelAtLeast('unknown'));
  });

  it('passes when a /boot config has every symbol', async () => {
    const root = await fresh();
    await put(root, `/boot/config-${REL}`, ALL_CONFIG.join('\n') + '\n');
    const r = await check(root);
    assert.equal(r.error, undefined);
    assert.equal(
      r.stdout,
      'Checking kernel version...\n' +
        resultLine(REL, 'OK') +
        'Checking kernel modules...\n' +
        ok(KERNEL_MODULES.map((m) => m.name)) +
        'System meets minimum system requirements to run Calico!\n',
    );
  });

  it('finds modules in /sys/module, modules.dep, modules.builtin and /proc/modules, alternatives too', async () => {
    const root = await fresh();
    for (const m of ['ip_set', 'ip_tables', 'vfio_pci'])
      await mkdir(join(root, 'sys/module', m), { recursive: true });
    await put(
      root,
      `/lib/modules/${REL}/modules.dep`,
      'kernel/net/netfilter/xt_ipvs.ko.zst: kernel/net/netfilter/ipvs/ip_vs.ko.zst\n' +
        'kernel/net/ipv4/netfilter/ipt_REJECT.ko.xz: kernel/net/ipv4/netfilter/nf_reject_ipv4.ko.xz\n' +
        'kernel/net/ipv4/netfilter/ipt_rpfilter.ko:\n' +
        'kernel/net/netfilter/xt_settle.ko:\n', // not xt_set
    );
    await put(
      root,
      `/lib/modules/${REL}/modules.builtin`,
      'kernel/net/netfilter/nf_conntrack_netlink.ko\nkernel/net/netfilter/xt_addrtype.ko\nkernel/net/netfilter/xt_conntrack.ko\n',
    );
    await put(
      root,
      '/proc/modules',
      'xt_mark 16384 1 - Live 0x0\nxt_multiport 20480 1 - Live 0x0\nxt_set 16384 2 - Live 0x0\n',
    );
    const r = await check(root);
    assert.equal(r.error, undefined, r.stdout);
    assert.equal(
      r.stdout,
      'Checking kernel version...\n' +
        resultLine(REL, 'OK') +
        'Checking kernel modules...\n' +
        ok(['ip_set']) +
        'WARNING: Unable to detect optional module/feature ip6_tables; continuing\n' +
        resultLine('ip6_tables', 'SKIP') +
        ok(['ip_tables', 'ipt_ipvs', 'vfio-pci']) +
        'WARNING: Unable to detect optional module/feature xt_bpf; continuing\n' +
        resultLine('xt_bpf', 'SKIP') +
        ok(['ipt_REJECT', 'xt_rpfilter', 'nf_conntrack_netlink', 'xt_addrtype', 'xt_conntrack']) +
        ok(['xt_mark', 'xt_multiport', 'xt_set']) +
        'WARNING: Unable to detect optional module/feature xt_u32; continuing\n' +
        resultLine('xt_u32', 'SKIP') +
        'System meets minimum system requirements to run Calico!\n',
    );
  });

  it('reads a gzip-compressed /proc/config.gz when nothing else is there (CONFIG_MODULES unset)', async () => {
    const root = await fresh();
    const config = ['# CONFIG_MODULES is not set', ...ALL_CONFIG.filter((l) => !l.includes('VFIO'))];
    await put(root, '/proc/config.gz', gzipSync(config.join('\n') + '\n'));
    const r = await check(root);
    assert.ok(r.error instanceof CommandError);
    assert.equal((r.error as Error).message, CHECKSYSTEM_FAILED);
    assert.match(
      r.stdout,
      /\t\tipt_ipvs {12}\t{5}OK\nWARNING: Unable to detect the vfio-pci module as Loaded\/Builtin module or lsmod\n\t\tvfio-pci {12}\t{5}FAIL\n\t\txt_bpf/,
    );
    assert.equal(r.stdout.match(/FAIL/g)?.length, 1);
  });

  it('prefers -f over the default places, accepts y and m only, and warns when -f is unreadable', async () => {
    const root = await fresh();
    await put(root, `/boot/config-${REL}`, ALL_CONFIG.join('\n') + '\n');
    const cfg = join(root, 'custom.config');
    await writeFile(
      cfg,
      ALL_CONFIG.map((l) => (l.startsWith('CONFIG_IP_SET=') ? 'CONFIG_IP_SET=n' : l)).join('\n'),
    );
    const r = await check(root, { kernelConfig: cfg });
    assert.match(
      r.stdout,
      /WARNING: Unable to detect the ip_set module as Loaded\/Builtin module or lsmod\n\t\tip_set/,
    );
    assert.equal(r.stdout.match(/FAIL/g)?.length, 1);

    const missing = await check(root, { kernelConfig: join(root, 'nope') });
    assert.match(missing.stdout, /^WARNING: Unable to read kernel config: ENOENT.*nope'\n/m);
    assert.ok(missing.error instanceof CommandError);
  });

  it('fails an old kernel with calicoctl’s explanation', async () => {
    const root = await fresh();
    await put(root, `/boot/config-2.6.18`, ALL_CONFIG.join('\n') + '\n');
    const r = await check(root, { release: '2.6.18' });
    assert.ok(
      r.stdout.startsWith(
        'Checking kernel version...\n' +
          resultLine('2.6.18', 'FAIL') +
          'Minimum kernel version to run Calico is 2.6.24. Detected kernel version: 2.6.18\n' +
          'Checking kernel modules...\n',
      ),
    );
    assert.equal((r.error as Error).message, CHECKSYSTEM_FAILED);
  });

  it('refuses to run without root, on stdout', async () => {
    const r = await check(await fresh(), { isRoot: false });
    assert.equal(r.stdout, 'Need super user privileges: Operation not permitted\n');
    assert.ok(r.error instanceof CommanderError);
  });
});
