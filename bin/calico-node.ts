#!/usr/bin/env node
/**
 * calico-node. Today it runs the start-up phase (`-startup`): Node resource, addresses, default
 * pools, cluster defaults, tunnel addresses. Felix, confd and BIRD supervision join it later.
 */
import { startupMain } from '../src/node/startup/main.js';

const flag = process.argv[2];
if (flag === '-startup' || flag === '--startup') {
  process.exitCode = await startupMain();
} else {
  process.stderr.write(
    `usage: calico-node -startup\n` +
      (flag ? `calico-node: unknown or not yet available mode '${flag}' (this build provides -startup)\n` : ''),
  );
  process.exitCode = flag ? 1 : 0;
}
