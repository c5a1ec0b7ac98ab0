#!/usr/bin/env node
// calico-lab: a Calico cluster in network namespaces on this machine (see src/lab/cli.ts).
import { runCalicoLab } from '../src/lab/cli.js';

// A closed pipe (`calico-lab up | head`) must not kill a command half-way through building a lab:
// its output is lost, its work goes on.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}

process.exitCode = await runCalicoLab(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
});
