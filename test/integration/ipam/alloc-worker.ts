/**
 * One "host" of the IPAM fault test, as a separate process: connects to etcd, says "ready", waits
 * for "go" on stdin, allocates N addresses one call at a time (as the CNI plugin does), and prints
 * one JSON line with what it got. Usage: node alloc-worker.js <endpoints> <host> <count>
 */
import { createInterface } from 'node:readline';
import { Client } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';

export interface WorkerReport {
  host: string;
  /** `ms`: when the call returned, since the start. */
  allocations: { handleId: string; ips: string[]; ms: number }[];
  errors: string[];
  ms: number;
}

async function main(): Promise<void> {
  const [endpoints, host, countText] = process.argv.slice(2);
  const count = Number(countText);
  const backend = new EtcdBackend({ endpoints: endpoints.split(','), requestTimeoutMs: 30_000 });
  const ipam = new IPAMClient(backend, new Client(backend));
  // Warm the connection so the start is simultaneous.
  await ipam.getIPAMConfig();
  process.stdout.write('ready\n');
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once('line', () => resolve()));
  rl.close();
  const report: WorkerReport = { host, allocations: [], errors: [], ms: 0 };
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const handleId = `k8s-pod-network.${host}-${i}`;
    try {
      const r = await ipam.autoAssign({
        num4: 1,
        num6: 0,
        handleId,
        hostname: host,
        intendedUse: 'Workload',
        attrs: { node: host, namespace: 'default', pod: `pod-${i}` },
      });
      report.allocations.push({ handleId, ips: r.ipv4.ips, ms: Math.round(performance.now() - t0) });
      if (r.ipv4.ips.length !== 1) report.errors.push(`${handleId}: ${r.ipv4.msgs.join('; ')}`);
    } catch (e) {
      report.errors.push(`${handleId}: ${(e as Error).message}`);
    }
  }
  report.ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await backend.close();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
