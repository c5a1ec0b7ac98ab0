/** The e2e matrix's wait: when a lab matrix counts, what a failure prints, gaps while probing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetpolModel, type Matrix } from '../../helpers/k8s-netpol-model.js';
import { converge, type MatrixLab } from '../../e2e/policy/fixtures/k8s-lab.js';
import { cluster, policy } from './cluster.js';

const OPEN = new NetpolModel(cluster());
const DENY_X = new NetpolModel(cluster([policy('x', 'deny', { podSelector: {} })]));

/** A lab whose matrices are the given ones, in turn (the last one repeated). */
function fakeLab(matrices: Matrix[], delayMs = 5): MatrixLab & { calls: number } {
  const lab = {
    calls: 0,
    async matrix(): Promise<Matrix> {
      await new Promise((r) => setTimeout(r, delayMs));
      return matrices[Math.min(lab.calls++, matrices.length - 1)];
    },
  };
  return lab as unknown as MatrixLab & { calls: number };
}

describe('e2e matrix: converge', () => {
  it('returns once the lab matrix equals the model', async () => {
    const lab = fakeLab([OPEN.matrix(80, 'TCP'), DENY_X.matrix(80, 'TCP')]);
    const r = await converge(lab, DENY_X, ['tcp/80'], { timeoutMs: 1000 });
    assert.equal(r.rounds, 2);
    assert.deepEqual(r.unstable, []);
  });

  it('ignores matrices taken before the step finished', async () => {
    let finish!: () => void;
    const stepDone = new Promise<void>((r) => (finish = r));
    const lab = fakeLab([DENY_X.matrix(80, 'TCP')]);
    setTimeout(finish, 60);
    const r = await converge(lab, DENY_X, ['tcp/80'], { timeoutMs: 1000, stepDone });
    assert.ok(r.rounds >= 3, `counted a matrix of before the step (${r.rounds} rounds)`);
  });

  it('reports pairs that the step should not touch flipping while probing', async () => {
    const glitch = OPEN.matrix(80, 'TCP');
    glitch['y/a']['z/b'] = false; // allowed before and after
    const lab = fakeLab([glitch, DENY_X.matrix(80, 'TCP')]);
    const r = await converge(lab, DENY_X, ['tcp/80'], {
      timeoutMs: 1000,
      stepDone: Promise.resolve(),
      before: OPEN,
    });
    assert.deepEqual(r.unstable, ['tcp/80 y/a -> z/b: allowed before and after, seen denied']);
  });

  it('fails after the timeout with the truth table and the model’s reasons', async () => {
    const lab = fakeLab([OPEN.matrix(80, 'TCP')]);
    await assert.rejects(converge(lab, DENY_X, ['tcp/80'], { timeoutMs: 50 }), (e: Error) => {
      assert.match(e.message, /did not reach the model's within 50 ms/);
      assert.match(e.message, /^y\/a\s+A\s+A\s+A\s+\.\s+\./m);
      assert.match(e.message, /y\/a -> x\/a: model false, lab true; .*"isolatedBy":\["x\/deny"\]/);
      return true;
    });
  });
});
