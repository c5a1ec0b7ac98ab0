#!/usr/bin/env node
// calico-cni-agent: serves the thin calico / calico-ipam plugins over a unix socket.
import { agentMain } from '../src/cni/agent/agent-main.js';

// Exit explicitly: stop() closed everything we own; nothing else should hold the process.
process.exit(await agentMain(process.argv.slice(2)));
