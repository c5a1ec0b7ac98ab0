#!/usr/bin/env node
// Runs the compiled tests of the given tiers (unit, integration, e2e) with Node's test runner.
// Node 20's --test takes no globs, so we collect the files ourselves.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tiers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
for (const tier of tiers.length ? tiers : ['unit', 'integration', 'e2e']) {
  const dir = join('dist', 'test', tier);
  if (existsSync(dir)) walk(dir);
}
if (files.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
// Integration tests each start their own etcd; run files one at a time to stay within 2 cores.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...extra, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
