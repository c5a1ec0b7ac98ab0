#!/usr/bin/env node
/**
 * calico-node: with no flag (or -run) startup, then Felix, confd + BIRD (bird backend) and
 * optionally the CNI agent in this process's network namespace; -startup, -felix, -confd,
 * -cni-agent run single parts; -felix-ready/-bird-ready and friends are exec probes.
 * State lives under CALICO_RUN_DIR (default /var/run/calico) and CALICO_STATE_DIR
 * (default /var/lib/calico). See src/node/daemon/mode.ts.
 */
import { nodeMain } from '../src/node/daemon/main.js';

// Exit explicitly: a clean stop closed everything we own; nothing else should hold the process.
process.exit(await nodeMain(process.argv.slice(2)));
