import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { componentSink, createLogger, parseLogLevelWord } from '../../../../src/node/log.js';

function sink(): { text: () => string[]; write(s: string): boolean } {
  let all = '';
  return {
    text: () => all.split('\n').filter(Boolean),
    write(s: string) {
      all += s;
      return true;
    },
  };
}

describe('node log', () => {
  it('writes one JSON object per event with time, level, component, msg and fields', () => {
    const out = sink();
    const log = createLogger('felix', 'info', out);
    log.debug('hidden');
    log.info('hello', { routes: 3, skipped: undefined });
    log.child('bird').warn('careful');
    const lines = out.text().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(Object.keys(lines[0]), ['time', 'level', 'component', 'msg', 'routes']);
    assert.deepEqual(
      [lines[0].level, lines[0].component, lines[0].msg, lines[0].routes],
      ['info', 'felix', 'hello', 3],
    );
    assert.deepEqual([lines[1].level, lines[1].component], ['warn', 'bird']);
    assert.ok(!Number.isNaN(Date.parse(String(lines[0].time))));
  });

  it('a field cannot overwrite the standard keys', () => {
    const out = sink();
    createLogger('x', 'info', out).info('m', { level: 'fake', component: 'y' });
    const l = JSON.parse(out.text()[0]) as Record<string, unknown>;
    assert.deepEqual([l.level, l.component], ['info', 'x']);
  });

  it('understands Calico’s level words', () => {
    assert.equal(parseLogLevelWord('Warning'), 'warn');
    assert.equal(parseLogLevelWord('TRACE'), 'debug');
    assert.equal(parseLogLevelWord('fatal'), 'error');
    assert.equal(parseLogLevelWord('Info'), 'info');
    assert.equal(parseLogLevelWord('loud'), undefined);
  });

  it('componentSink tags startup’s JSON lines and wraps plain ones, across split writes', () => {
    const out = sink();
    const s = componentSink('startup', out);
    s.write('{"time":"t","level":"info","msg":"Using node');
    s.write(' name: h1","node":"h1"}\nERROR: bad\n');
    const [a, b] = out.text().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(a, {
      time: 't',
      level: 'info',
      component: 'startup',
      msg: 'Using node name: h1',
      node: 'h1',
    });
    assert.deepEqual([b.level, b.component, b.msg], ['error', 'startup', 'ERROR: bad']);
  });
});
