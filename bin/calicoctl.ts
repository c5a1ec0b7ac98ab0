#!/usr/bin/env node
import { runCalicoctl } from '../src/ctl/main.js';
import { processIO } from '../src/ctl/io.js';

process.exitCode = await runCalicoctl(process.argv.slice(2), processIO());
