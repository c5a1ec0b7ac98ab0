#!/usr/bin/env node
// The `calico` CNI plugin. VERSION is answered before anything else is loaded.
import { answerVersionAndExit } from '../src/cni/version-answer.js';

if (!answerVersionAndExit()) {
  const { pluginMain } = await import('../src/cni/main.js');
  await pluginMain('calico');
}
