/**
 * The nftables backend's long-lived `nft -i` (nft-session.ts) against a real kernel, in a
 * namespace of its own: transactions commit, a refused one reports nft's error and changes
 * nothing, a stalled or killed process is replaced (and an unknown outcome makes the next pass
 * read the kernel), close() leaves no process; and a first load streamed to nft matches the
 * one-shot render.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { isDataplaneError } from '../../../src/felix/errors.js';
import {
  NFT_ABORT,
  NFT_FROM_PIPE,
  NftPolicyBackend,
} from '../../../src/felix/dataplane/policy/nft-backend.js';
import { renderNft } from '../../../src/felix/dataplane/policy/nft-render.js';
import { NftSession, SESSION_MAX_LINE } from '../../../src/felix/dataplane/policy/nft-session.js';
import { kernelRunner, runStreamed, type Runner } from '../../../src/felix/dataplane/runner.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { createNetns, type Netns } from '../../helpers/netns.js';
import { handcraftedRulesets } from '../../helpers/policy-conformance-rulesets.js';

const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : undefined;

/** `nft` processes this test process started (nsenter execs nft, so they are our children). */
function ourNftChildren(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m && m[1] === 'nft' && Number(m[2]) === process.pid) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A kernel runner that counts the full reads (`nft -j list table`). */
function countingRunner(ns: Netns, timeoutMs = 10_000): Runner & { reads: number } {
  const inner = kernelRunner({ netns: ns.name, timeoutMs });
  const r = {
    reads: 0,
    timeoutMs,
    spawn: inner.spawn,
    run: (tool: Parameters<Runner['run']>[0], args: readonly string[], stdin?: string) => {
      if (tool === 'nft' && args[0] === '-j') r.reads++;
      return inner.run(tool, args, stdin);
    },
  };
  return r;
}

describe('nft -i session', { skip }, () => {
  let ns: Netns;
  let runner: Runner;

  before(async () => {
    ns = await createNetns('hA-nftsess');
    runner = kernelRunner({ netns: ns.name });
  });

  after(async () => {
    await ns?.delete();
    await assertNoLeaks();
  });

  const list = () => ns.must('nft', ['list', 'table', 'ip', 'hatest']);

  it('commits each line as one transaction, in one process', async () => {
    const s = new NftSession(runner.spawn!);
    try {
      await s.transact([
        'add table ip hatest',
        'add chain ip hatest c',
        'add rule ip hatest c tcp dport 1 accept',
      ]);
      const pid = s.pid;
      await s.transact([`add rule ip hatest c tcp dport 2 accept comment "x; y"`]);
      assert.equal(s.pid, pid, 'the same process');
      const text = await list();
      assert.match(text, /tcp dport 1 accept/);
      assert.match(text, /tcp dport 2 accept comment "x; y"/);
      // A long line (~50 KB; the backend sends scripts over SESSION_MAX_LINE to `nft -f -`, which
      // is faster for them, but the session must still get them right) is one transaction too.
      const many = Array.from(
        { length: 600 },
        (_, i) =>
          `add rule ip hatest c tcp dport ${i + 10} accept comment "cali:${'x'.repeat(16)}; some rule text"`,
      );
      assert.ok(many.join('; ').length > 6 * SESSION_MAX_LINE);
      await s.transact(many);
      assert.equal(s.pid, pid);
      assert.equal((await list()).match(/accept comment "cali:x{16}; some rule text"/g)?.length, 600);
    } finally {
      await s.close();
    }
    assert.deepEqual(ourNftChildren(), [], 'close() ended nft -i');
  });

  it("a refused transaction reports nft's error and commits nothing", async () => {
    const s = new NftSession(runner.spawn!);
    try {
      const before = await list();
      await assert.rejects(
        s.transact(['add rule ip hatest c tcp dport 3 accept', 'add rule ip hatest nochain accept']),
        (e: Error) =>
          isDataplaneError(e, 'command') &&
          /No such file or directory/.test(e.message) &&
          /nochain/.test(e.message),
      );
      assert.equal(await list(), before, 'the first command of the transaction did not commit');
      // The process is still good for the next transaction.
      await s.transact(['add rule ip hatest c tcp dport 4 accept']);
      assert.match(await list(), /tcp dport 4 accept/);
    } finally {
      await s.close();
    }
  });

  it('a killed process is replaced by the next transaction', async () => {
    const s = new NftSession(runner.spawn!);
    try {
      await s.transact(['add rule ip hatest c tcp dport 5 accept']);
      const first = s.pid!;
      process.kill(first, 'SIGKILL');
      while (s.pid === first) await new Promise((r) => setTimeout(r, 10));
      await s.transact(['add rule ip hatest c tcp dport 6 accept']);
      assert.notEqual(s.pid, first);
      assert.match(await list(), /tcp dport 6 accept/);
    } finally {
      await s.close();
    }
    assert.deepEqual(ourNftChildren(), []);
  });

  it('a stalled process times out (outcome unknown): the backend re-reads the kernel next pass', async () => {
    const counting = countingRunner(ns, 1500);
    const backend = new NftPolicyBackend({ runner: counting });
    try {
      backend.setDesired(handcraftedRulesets());
      await backend.reconcile({ full: true });
      backend.setDesired(handcraftedRulesets({ allowed: ['a', 'c'] }));
      assert.equal((await backend.reconcile()).changes, 2, 'fast pass through nft -i');
      const [pid] = ourNftChildren();
      assert.ok(pid, 'nft -i runs after a fast pass');
      process.kill(pid, 'SIGSTOP');
      backend.setDesired(handcraftedRulesets());
      await assert.rejects(backend.reconcile(), (e: Error) => isDataplaneError(e, 'timeout'));
      const reads = counting.reads;
      // Not a blind retry: the next (non-full) pass reads the kernel, then applies what is missing.
      const report = await backend.reconcile();
      assert.equal(counting.reads, reads + 2, 'both families read');
      assert.ok(report.changes <= 2);
      assert.equal(
        (await backend.reconcile({ full: true })).changes,
        0,
        'the kernel holds the desired state',
      );
    } finally {
      await backend.remove();
      await backend.close();
    }
    assert.deepEqual(ourNftChildren(), [], 'the stalled process was killed and the new one closed');
  });

  it('a first load streamed while rendering leaves the same ruleset as the one-shot script', async () => {
    const backend = new NftPolicyBackend({ runner, nftStreamLoad: true });
    let streamed: string;
    try {
      backend.setDesired(handcraftedRulesets());
      const report = await backend.reconcile({ full: true });
      assert.match(backend.lastRebuild ?? '', /the table is missing/);
      assert.ok(report.changes > 10);
      streamed = await ns.must('nft', ['list', 'ruleset']);
      await backend.remove();
      await ns.must('nft', ['-f', '-'], { stdin: renderNft(handcraftedRulesets()) });
      assert.equal(await ns.must('nft', ['list', 'ruleset']), streamed);
      // The instance's picture matches the kernel: nothing to do on a full re-read.
      assert.equal((await backend.reconcile({ full: true })).changes, 0);
      // A new instance over existing tables (a restart): its load, streamed while the read ran, is
      // dropped uncommitted, and the diff finds nothing to do.
      const fresh = new NftPolicyBackend({ runner, nftStreamLoad: true });
      try {
        fresh.setDesired(handcraftedRulesets());
        assert.equal((await fresh.reconcile()).changes, 0);
        assert.equal(fresh.lastRebuild, undefined);
        assert.equal(await ns.must('nft', ['list', 'ruleset']), streamed);
      } finally {
        await fresh.close();
      }
    } finally {
      await backend.remove();
      await backend.close();
    }
  });

  it('a streamed script: nft refusing it fails the run; a render that throws commits nothing', async () => {
    const refused = await runStreamed(
      runner,
      'sh',
      ['-c', NFT_FROM_PIPE],
      ['add table ip hatest2\n', 'add chain ip hatest2 c\n', 'add rule ip hatest2 nochain accept\n'],
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /No such file or directory/);
    assert.notEqual((await ns.run('nft', ['list', 'table', 'ip', 'hatest2'])).code, 0, 'nothing committed');

    function* failing(): Generator<string> {
      yield 'add table ip hatest3\nadd chain ip hatest3 c\n';
      for (let i = 0; i < 5000; i++) yield `add rule ip hatest3 c tcp dport ${i + 1} accept\n`;
      throw new Error('render failed');
    }
    await assert.rejects(
      runStreamed(runner, 'sh', ['-c', NFT_FROM_PIPE], failing(), { abortWith: NFT_ABORT }),
      /render failed/,
    );
    assert.notEqual((await ns.run('nft', ['list', 'table', 'ip', 'hatest3'])).code, 0, 'nothing committed');
    assert.deepEqual(ourNftChildren(), []);
  });

  const oneCpu = availableParallelism() < 2 ? 'a split load needs 2 CPUs' : undefined;

  it(
    'a split first load (several nft processes, hooks last) leaves the same ruleset as one script',
    { skip: oneCpu },
    async () => {
      const spawned: string[] = [];
      const counting: Runner = {
        ...runner,
        spawn: (tool, args) => {
          spawned.push(`${tool} ${args.join(' ')}`);
          return runner.spawn!(tool, args);
        },
      };
      const backend = new NftPolicyBackend({ runner: counting, nftSplitMinRules: 1 });
      try {
        backend.setDesired(handcraftedRulesets());
        const report = await backend.reconcile({ full: true });
        assert.match(backend.lastRebuild ?? '', /the table is missing/);
        assert.ok(report.changes > 10);
        assert.ok(spawned.filter((s) => s === 'nft -f -').length >= 3, spawned.join('; '));
        const split = await ns.must('nft', ['list', 'ruleset']);
        await backend.remove();
        await ns.must('nft', ['-f', '-'], { stdin: renderNft(handcraftedRulesets()) });
        // The same chains, rules, sets and maps (chains may be listed in another order).
        const lines = (t: string) =>
          t
            .split('\n')
            .map((l) => l.trim())
            .sort();
        assert.deepEqual(lines(split), lines(await ns.must('nft', ['list', 'ruleset'])));
        assert.equal((await backend.reconcile({ full: true })).changes, 0);
      } finally {
        await backend.remove();
        await backend.close();
      }
      assert.deepEqual(ourNftChildren(), []);
    },
  );

  // The pass's `nft -f -` processes: one per part (one per CPU, at most 4), then the tail.
  const ways = Math.min(4, availableParallelism());
  for (const [nth, what] of [
    [2, 'a part'],
    [ways + 1, 'the tail'],
  ] as const) {
    it(
      `a split first load whose ${what} nft refuses hooks nothing, leaves no table, and recovers next pass`,
      { skip: oneCpu },
      async () => {
        let loads = 0;
        const failing: Runner = {
          ...runner,
          spawn: (tool, args) => {
            if (tool === 'nft' && args[0] === '-f' && ++loads === nth) {
              return runner.spawn!('sh', [
                '-c',
                'cat >/dev/null; echo "Error: refused by the test" >&2; exit 1',
              ]);
            }
            return runner.spawn!(tool, args);
          },
        };
        const backend = new NftPolicyBackend({ runner: failing, nftSplitMinRules: 1 });
        try {
          backend.setDesired(handcraftedRulesets());
          await assert.rejects(backend.reconcile({ full: true }), /refused by the test/);
          assert.doesNotMatch(await ns.must('nft', ['list', 'tables']), /calico/, 'no table, no hook left');
          // The next pass reads the kernel and loads (only one spawn refused).
          const report = await backend.reconcile();
          assert.ok(report.changes > 10);
          assert.match(await ns.must('nft', ['list', 'table', 'ip', 'calico']), /hook forward/);
        } finally {
          await backend.remove();
          await backend.close();
        }
        assert.deepEqual(ourNftChildren(), []);
      },
    );
  }
});
