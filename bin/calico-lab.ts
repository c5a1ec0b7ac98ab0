#!/usr/bin/env node
// calico-lab: a Calico cluster in network namespaces on this machine (see src/lab/cli.ts).
import { runCalicoLab } from '../src/lab/cli.js';

process.exitCode = await runCalicoLab(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
});
