/**
 * Kubernetes NetworkPolicy acceptance, in the style of the upstream netpol e2e suite: one 3-host
 * lab (BGP), namespaces x, y, z with pods a, b, c each, and for every case the full 9×9 matrix of
 * the ports that matter probed through the dataplane and compared with an independent model of
 * the Kubernetes semantics (test/helpers/k8s-netpol-model.ts). Policies go in as YAML through
 * `calico-lab apply -f`; each case removes what it applied and checks that everything is allowed
 * again. A pod's traffic to itself is expected allowed (the model's `loopback: 'allowed'`).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { podKey } from '../../helpers/k8s-netpol-model.js';
import { assertLabGone, labSkip, runLab } from '../lab/lab-cli.js';
import { CASES, type Check, type MatrixCase, type Step } from './fixtures/k8s-cases.js';
import {
  baseNamespaceLabels,
  namespaceObject,
  NAMESPACES,
  podDefs,
  podObject,
  yamlOf,
  type PodDef,
} from './fixtures/k8s-cluster.js';
import { converge, MatrixLab, Mirror, render } from './fixtures/k8s-lab.js';

const LAB = 'km1';
/** How long a change may take to be enforced (the brief's ~15 s). */
const ENFORCE_MS = 15_000;
const ALL_CHECKS: Check[] = ['tcp/80', 'tcp/81', 'udp/80', 'udp/81'];
const POLICIES = new URL('../../../../test/e2e/policy/fixtures/k8s-policies/', import.meta.url);
const skip = labSkip();

describe('Kubernetes NetworkPolicy matrix (3 hosts, x/y/z × a/b/c)', { skip }, () => {
  const defs = podDefs();
  const ips = new Map<string, string>();
  let tmp: string;
  let lab: MatrixLab;
  let mirror: Mirror;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'km-matrix-'));
    lab = new MatrixLab(LAB, tmp);
    await runLab(['down', '--name', LAB]); // leftovers of a crashed run
    await lab.run(['up', '--nodes', '3', '--mode', 'bgp'], 240_000);
    const objects = [
      ...NAMESPACES.map((n) => namespaceObject(n, baseNamespaceLabels(n))),
      ...defs.map((d) => podObject(LAB, d)),
    ];
    await lab.manifest('apply', yamlOf(objects), 'cluster', 180_000);
    const infos = await Promise.all(defs.map((d) => lab.pod(podKey(d))));
    defs.forEach((d, i) => {
      assert.equal(infos[i].nodeName, `${LAB}-h${d.host}`, `${podKey(d)} runs on its host`);
      ips.set(podKey(d), infos[i].ip);
    });
    mirror = new Mirror(defs, ips);
    // No policy yet: everything reaches everything on every port (the servers are up).
    await converge(lab, mirror.model(), ALL_CHECKS, { timeoutMs: 30_000 });
  });

  after(async () => {
    await runLab(['down', '--name', LAB]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    assertLabGone(LAB);
  });

  async function policyYaml(name: string): Promise<string> {
    return render(await readFile(new URL(`${name}.yaml`, POLICIES), 'utf8'), ips);
  }

  function def(key: string): PodDef {
    const d = defs.find((x) => podKey(x) === key);
    assert.ok(d, `no pod ${key}`);
    return d;
  }

  /**
   * Takes one step into the mirror (so the model already describes the state after it) and
   * returns the lab command that makes it happen.
   */
  async function prepareStep(s: Step, touched: Set<string>): Promise<() => Promise<unknown>> {
    if ('apply' in s) {
      const yaml = await policyYaml(s.apply);
      mirror.applyPolicies(yaml);
      return () => lab.manifest('apply', yaml, s.apply);
    }
    if ('delete' in s) {
      const yaml = await policyYaml(s.delete);
      mirror.deletePolicies(yaml);
      return () => lab.manifest('delete', yaml, s.delete);
    }
    if ('podLabels' in s) {
      const d = def(s.podLabels);
      const labels = s.labels === 'base' ? d.labels : s.labels;
      mirror.pods.get(s.podLabels)!.labels = labels;
      touched.add(`pod ${s.podLabels}`);
      return () => lab.manifest('apply', yamlOf([podObject(LAB, d, labels)]), `pod-${d.namespace}-${d.name}`);
    }
    const ns = s.namespaceLabels;
    const labels = s.labels === 'base' ? baseNamespaceLabels(ns) : s.labels;
    mirror.namespaces.set(ns, labels);
    touched.add(`namespace ${ns}`);
    return () => lab.manifest('apply', yamlOf([namespaceObject(ns, labels)]), `ns-${ns}`);
  }

  async function runStep(s: Step, touched: Set<string>): Promise<void> {
    const run = await prepareStep(s, touched);
    await run();
  }

  function describeStep(s: Step): string {
    if ('apply' in s) return `apply ${s.apply}${s.probing ? ' while probing' : ''}`;
    if ('delete' in s) return `delete ${s.delete}${s.probing ? ' while probing' : ''}`;
    if ('podLabels' in s) return `pod ${s.podLabels} labels ${JSON.stringify(s.labels)}`;
    return `namespace ${s.namespaceLabels} labels ${JSON.stringify(s.labels)}`;
  }

  async function runCase(t: TestContext, c: MatrixCase): Promise<void> {
    const touched = new Set<string>();
    let failure: unknown;
    try {
      for (const s of c.steps) {
        const beforeModel = mirror.model();
        const probing = ('apply' in s || 'delete' in s) && s.probing;
        const stepDone = (await prepareStep(s, touched))();
        // A probing step is probed while it runs; any other step first finishes.
        if (!probing) await stepDone;
        const r = await converge(lab, mirror.model(), c.checks, {
          timeoutMs: ENFORCE_MS,
          ...(probing ? { stepDone, before: beforeModel } : {}),
        });
        await stepDone;
        t.diagnostic(`${describeStep(s)}: enforced after ${r.ms} ms (${r.rounds} rounds)`);
        assert.deepEqual(r.unstable, [], `pairs the step should not change changed while probing`);
      }
    } catch (e) {
      failure = e;
    }
    // Undo the case (also after a failure, so that the next case starts clean).
    try {
      // Every policy left (the case's; one file may replace another's policy, so by object).
      const left = [...mirror.policies.values()];
      mirror.policies.clear();
      if (left.length > 0) await lab.manifest('delete', yamlOf(left), 'leftovers');
      for (const what of touched) {
        const [kind, key] = what.split(' ');
        await runStep(
          kind === 'pod' ? { podLabels: key, labels: 'base' } : { namespaceLabels: key, labels: 'base' },
          new Set(),
        );
      }
      const model = mirror.model();
      assert.equal(model.state.policies.length, 0);
      const r = await converge(lab, model, c.checks, { timeoutMs: ENFORCE_MS });
      t.diagnostic(`removed: everything allowed again after ${r.ms} ms`);
    } catch (e) {
      failure ??= e;
    }
    if (failure) throw failure;
  }

  for (const c of CASES) {
    it(c.name, { timeout: 120_000 }, (t) => runCase(t, c));
  }
});
