/** `calicoctl ipam check [--show-all-ips] [--show-problem-ips] [-o report.json]` (ipam.md §11). */
import { writeFile } from 'node:fs/promises';
import type { ClusterInformationSpec } from '../../../api/index.js';
import { VERSION } from '../../../version.js';
import type { GlobalOptions } from '../../context.js';
import { CommandError, type CtlIO } from '../../io.js';
import { REPORT_KIND, type CheckReport } from './check-report.js';
import { IPAMChecker } from './checker.js';
import { described, listBlocks, listHandles, listResources } from './ipam-reads.js';
import { withIPAM } from './session.js';

export interface CheckCommandOptions extends GlobalOptions {
  showAllIps?: boolean;
  showProblemIps?: boolean;
  output?: string;
}

export async function runIpamCheck(io: CtlIO, opts: CheckCommandOptions): Promise<void> {
  await withIPAM(io, opts, async ({ client, ipam }) => {
    io.stdout('Checking IPAM for inconsistencies...\n\n');
    // Who the report is for: release refuses reports from another cluster.
    const ci = await client.get('ClusterInformation', 'default');
    const spec = (ci.spec ?? {}) as ClusterInformationSpec;

    const showAllIPs = !!opts.showAllIps;
    const checker = new IPAMChecker(io.stdout, {
      showAllIPs,
      showProblemIPs: showAllIPs || !!opts.showProblemIps,
    });
    await checker.loadBlocks(described('list IPAM blocks', () => listBlocks(ipam)));
    await checker.loadPools(described('load IP pools', () => listResources(client, 'IPPool')));
    await checker.loadNodes(described('list nodes', () => listResources(client, 'Node')));
    await checker.loadWorkloads(
      described('list workload endpoints', () => listResources(client, 'WorkloadEndpoint')),
    );
    await checker.loadHandles(described('list handles', () => listHandles(ipam)));
    const result = checker.scan();

    if (opts.output) {
      const report: CheckReport = {
        kind: REPORT_KIND,
        version: VERSION,
        clusterGUID: spec.clusterGUID ?? '',
        clusterType: spec.clusterType ?? '',
        clusterInformationRevision: ci.metadata.resourceVersion ?? '',
        datastoreLocked: spec.datastoreReady === false,
        generatedAt: new Date().toISOString(),
        ...result,
      };
      try {
        await writeFile(opts.output, JSON.stringify(report, null, 2) + '\n');
      } catch (e) {
        throw new CommandError(`failed to write report: ${(e as Error).message}`);
      }
    }
  });
}
