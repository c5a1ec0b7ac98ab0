/** Timing print (no assertion on time): 1,000 policies × 500 local endpoints, full and incremental. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../../src/api/index.js';
import { compilePolicy, PolicyCalculator } from '../../../../src/felix/calc/policy/index.js';
import { input, np, nsProfile, wep } from './fixtures.js';

function world(): Resource[] {
  const res: Resource[] = [];
  for (let n = 0; n < 50; n++) {
    const ns = `ns${n}`;
    res.push(nsProfile(ns, { team: `t${n % 5}` }));
    for (let p = 0; p < 10; p++) {
      const i = n * 10 + p;
      res.push(
        wep(ns, `pod${p}`, {
          iface: `cali${String(i).padStart(11, '0')}`,
          ips: [`10.${n}.0.${p + 1}`, `fd00::${n.toString(16)}:${p + 1}`],
          labels: { app: `app${p}`, tier: p < 5 ? 'front' : 'back' },
          ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
        }),
      );
    }
    for (let k = 0; k < 20; k++) res.push(np(ns, `pol${k}`, policySpec(k, 80)));
  }
  return res;
}

function policySpec(k: number, port: number): object {
  return {
    order: k,
    selector: `app == 'app${k % 10}'`,
    types: ['Ingress', 'Egress'],
    ingress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: `app == 'app${(k + 1) % 10}'` },
        destination: { ports: [port, 'http'] },
      },
      { action: 'Allow', source: { namespaceSelector: `team == 't${k % 5}'` } },
      { action: 'Deny', source: { nets: ['203.0.113.0/24'] } },
    ],
    egress: [
      { action: 'Allow', protocol: 'UDP', destination: { ports: [53] } },
      { action: 'Allow', destination: { selector: "tier == 'back'" } },
    ],
  };
}

describe('felix policy performance', () => {
  it('prints full compile and one-policy update times', () => {
    const res = world();
    const inp = input(res);
    const median = (xs: number[]) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    let t = performance.now();
    let full = compilePolicy(inp);
    const coldMs = performance.now() - t;
    const fulls: number[] = [];
    const fullCpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      const cpu = process.cpuUsage();
      full = compilePolicy(inp);
      const used = process.cpuUsage(cpu);
      fulls.push(performance.now() - t);
      // CPU time: the machine is shared, wall time includes waiting for a CPU.
      fullCpu.push((used.user + used.system) / 1000);
    }

    const calc = new PolicyCalculator();
    calc.update(inp);
    const at = res.findIndex((r) => r.metadata.name === 'pol3' && r.metadata.namespace === 'ns7');
    const times: number[] = [];
    const cpus: number[] = [];
    let last = full;
    for (let i = 0; i < 30; i++) {
      const changed = res.slice();
      changed[at] = np('ns7', 'pol3', policySpec(3, 81 + i));
      const inp2 = input(changed);
      t = performance.now();
      const cpu = process.cpuUsage();
      last = calc.update(inp2);
      const used = process.cpuUsage(cpu);
      times.push(performance.now() - t);
      cpus.push((used.user + used.system) / 1000);
    }
    const chains = full.v4.chains.length;
    const sets = full.v4.sets.length;
    console.log(
      `policy compile: 1000 policies × 500 endpoints (${chains} v4 chains, ${sets} v4 sets): ` +
        `full ${coldMs.toFixed(0)} ms cold, ${median(fulls).toFixed(0)} ms warm (${median(fullCpu).toFixed(0)} ms CPU, median of 5); ` +
        `one policy changed: ${median(times).toFixed(1)} ms (${median(cpus).toFixed(1)} ms CPU, median of 30)`,
    );
    assert.ok(chains > 2000);
    assert.ok(last.v4.chains.some((c) => c.name === 'cali-pi-np/ns7/pol3'));
  });
});
