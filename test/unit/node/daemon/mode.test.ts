import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCalicoError } from '../../../../src/errors/index.js';
import { parseNodeArgs } from '../../../../src/node/daemon/mode.js';
import { componentsFor } from '../../../../src/node/daemon/settings.js';

describe('calico-node modes', () => {
  it('no flag and -run run startup and every component', () => {
    assert.deepEqual(parseNodeArgs([]), { kind: 'run', startup: true, extra: [] });
    assert.deepEqual(parseNodeArgs(['-run']), { kind: 'run', startup: true, extra: [] });
    assert.deepEqual(parseNodeArgs(['--run', '-cni-agent']), {
      kind: 'run',
      startup: true,
      extra: ['cniAgent'],
    });
  });

  it('single components run without startup and combine', () => {
    assert.deepEqual(parseNodeArgs(['-felix']), {
      kind: 'run',
      startup: false,
      components: ['felix'],
      extra: [],
    });
    assert.deepEqual(parseNodeArgs(['-confd', '--felix', '-confd']), {
      kind: 'run',
      startup: false,
      components: ['confd', 'felix'],
      extra: [],
    });
    assert.deepEqual(parseNodeArgs(['-cni-agent']), {
      kind: 'run',
      startup: false,
      components: ['cniAgent'],
      extra: [],
    });
  });

  it('-startup, probes, help and version', () => {
    assert.deepEqual(parseNodeArgs(['-startup']), { kind: 'startup' });
    assert.deepEqual(parseNodeArgs(['--startup']), { kind: 'startup' });
    assert.deepEqual(parseNodeArgs(['-felix-ready', '-bird-ready']), {
      kind: 'probe',
      checks: ['felix-ready', 'bird-ready'],
    });
    assert.deepEqual(parseNodeArgs(['-bird-live']), { kind: 'probe', checks: ['bird-live'] });
    assert.deepEqual(parseNodeArgs(['-h']), { kind: 'help' });
    assert.deepEqual(parseNodeArgs(['-felix', '--version']), { kind: 'version' });
  });

  it('refuses unknown flags, arguments and mixed groups with a USAGE error', () => {
    for (const argv of [
      ['-nope'],
      ['felix'],
      ['-startup', '-felix'],
      ['-felix-ready', '-run'],
      ['-run', '-felix'],
      ['-startup', '-bird-ready'],
    ]) {
      assert.throws(
        () => parseNodeArgs(argv),
        (e) => isCalicoError(e, 'USAGE'),
        argv.join(' '),
      );
    }
  });

  it('the backend decides the components of a full run', () => {
    const run = parseNodeArgs([]) as Extract<ReturnType<typeof parseNodeArgs>, { kind: 'run' }>;
    assert.deepEqual(componentsFor(run, 'bird', {}, false), ['felix', 'confd']);
    assert.deepEqual(componentsFor(run, 'vxlan', {}, false), ['felix']);
    assert.deepEqual(componentsFor(run, 'none', {}, false), ['felix']);
    assert.deepEqual(componentsFor(run, 'bird', {}, true), ['confd']);
    assert.deepEqual(componentsFor(run, 'vxlan', { CALICO_CNI_AGENT_SOCKET: '/run/x.sock' }, false), [
      'felix',
      'cniAgent',
    ]);
    const withAgent = parseNodeArgs(['-run', '-cni-agent']) as typeof run;
    assert.deepEqual(componentsFor(withAgent, 'none', {}, false), ['felix', 'cniAgent']);
    const only = parseNodeArgs(['-confd']) as typeof run;
    assert.deepEqual(componentsFor(only, 'vxlan', {}, false), ['confd']);
  });
});
