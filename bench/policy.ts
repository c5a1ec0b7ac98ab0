/**
 * Policy dataplane benchmark (nftables backend), each figure against its anchor in the same run:
 *  1. full sync of 1,000 policies x 500 endpoints: compile + read the (empty) kernel + program it,
 *     against `nft -f` loading the same final ruleset into an empty namespace;
 *  2. one policy changed at that scale: incremental compile + diff + apply until the kernel holds
 *     it (goal <= 50 ms); anchor: `nft -f` of the whole ruleset again;
 *  3. iperf3 through a policy with a 10,000-member selector set (bench/policy-iperf.ts).
 * Each sample runs in a fresh network namespace. Medians and ratios, never single times.
 * Env: BENCH_RUNS, BENCH_POLICIES, BENCH_ENDPOINTS; BENCH_IPERF=0 skips 3; BENCH_NFT_STREAM=1
 * streams the first load to nft while it renders (the backend renders it whole by default).
 */
import { PolicyCalculator } from '../src/felix/calc/policy/index.js';
import { kernelRunner } from '../src/felix/dataplane/index.js';
import { NftPolicyBackend } from '../src/felix/dataplane/policy/nft-backend.js';
import { renderNft } from '../src/felix/dataplane/policy/nft-render.js';
import { createNetns, deleteNetns } from '../src/lab/netns.js';
import { benchInput, benchPolicy } from './policy-scale.js';
import { runIperfBench } from './policy-iperf.js';
import { median, printTable, rowsJson, timed, writeResults, type Row } from './stats.js';

const POLICIES = Number(process.env.BENCH_POLICIES ?? 1000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NS = 'ctsbench-pol';

async function nftLoad(script: string): Promise<number> {
  await createNetns(NS);
  const runner = kernelRunner({ netns: NS, timeoutMs: 120_000 });
  const { ms, value } = await timed(() => runner.run('nft', ['-f', '-'], script));
  if (value.code !== 0) throw new Error(`nft -f failed: ${value.stderr.slice(0, 500)}`);
  return ms;
}

const input = benchInput(POLICIES, ENDPOINTS);
const anchor: number[] = [];
const full: number[] = [];
const compileOnly: number[] = [];
const change: number[] = [];
let rules = 0;
let sets = 0;
let chains = 0;
try {
  for (let run = 0; run < RUNS; run++) {
    // Anchor: the final ruleset, rendered once outside the timing, loaded by nft.
    const rulesets = new PolicyCalculator().update(input);
    chains = rulesets.v4.chains.length;
    sets = rulesets.v4.sets.length;
    rules = rulesets.v4.chains.reduce((n, c) => n + c.rules.length, 0);
    anchor.push(await nftLoad(renderNft(rulesets)));

    // Ours: from the datastore snapshot to rules in the kernel.
    await createNetns(NS);
    const runner = kernelRunner({ netns: NS, timeoutMs: 120_000 });
    // BENCH_NFT_STREAM=1: stream the first load to nft while it renders (to compare the two).
    const backend = new NftPolicyBackend({ runner, nftStreamLoad: process.env.BENCH_NFT_STREAM === '1' });
    const calc = new PolicyCalculator();
    const sync = await timed(async () => {
      const c = await timed(() => calc.update(input));
      compileOnly.push(c.ms);
      backend.setDesired(c.value);
      return backend.reconcile({ full: true });
    });
    full.push(sync.ms);

    // One policy changed: its port moves; the kernel must hold the new rule when apply returns.
    const changed = { ...input, networkPolicies: [...input.networkPolicies] };
    const edited = benchPolicy(7, 4242 + run);
    // As etcd would: a changed object has a new resourceVersion (the calculator memoises by it).
    edited.metadata.resourceVersion = String(100 + run);
    changed.networkPolicies[7] = edited;
    const one = await timed(async () => {
      backend.setDesired(calc.update(changed));
      return backend.reconcile();
    });
    change.push(one.ms);
    const check = await runner.run('nft', ['list', 'table', 'ip', 'calico']);
    if (!check.stdout.includes(`${4242 + run}`)) throw new Error('the changed policy is not in the kernel');
    // The backend's long-lived `nft -i` (fast passes) ends with it.
    await backend.close();
  }
} finally {
  await deleteNetns(NS);
}

const rows: Row[] = [
  { name: 'nft -f of the final ruleset', samples: anchor },
  { name: 'full sync (compile + read + apply)', samples: full, anchor: 'nft -f of the final ruleset' },
  { name: 'compile only', samples: compileOnly, anchor: 'nft -f of the final ruleset' },
  { name: 'one policy changed', samples: change, anchor: 'nft -f of the final ruleset' },
];
printTable(
  `policy: ${POLICIES} policies x ${ENDPOINTS} endpoints (${chains} chains, ${rules} rules, ${sets} sets), ${RUNS} runs`,
  rows,
);
const iperf = process.env.BENCH_IPERF === '0' ? null : await runIperfBench();
writeResults('policy', {
  scale: { policies: POLICIES, endpoints: ENDPOINTS, chains, rules, sets },
  runs: RUNS,
  goals: { fullSyncRatio: 1.2, oneChangeMs: 50, iperfRatio: 0.95 },
  rows: rowsJson(rows),
  fullSyncRatio: median(full) / median(anchor),
  oneChangeMedianMs: median(change),
  iperf,
});
