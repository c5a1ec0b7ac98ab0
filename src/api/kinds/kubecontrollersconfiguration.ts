/** KubeControllersConfiguration (cluster-scoped singleton `default`): settings of calico-kube-controllers. */
import type { Checker } from '../check.js';
import { checkDuration } from '../common/duration.js';
import { checkEnum, checkIntRange, checkNameRef, checkRegexp } from '../common/fields.js';
import { checkCIDRList } from '../common/ip-fields.js';
import { checkLabels } from '../common/labels.js';
import { onlyDefaultName } from '../common/names.js';
import { specOf, withSpec } from '../common/resource.js';
import { checkSelector } from '../common/selector-field.js';
import type { KindDef } from '../kind.js';
import { S, type Schema } from '../schema.js';
import type { Resource } from '../types.js';

const ENABLED_DISABLED = ['Enabled', 'Disabled'] as const;
const RECONCILER: Schema = S.object({ reconcilerPeriod: S.string });

const TEMPLATE: Schema = S.object({
  generateName: S.string,
  interfaceCIDRs: S.stringList,
  interfacePattern: S.string,
  labels: S.stringMap,
  annotations: S.stringMap,
  nodeSelector: S.string,
});

const SPEC: Schema = S.object({
  logSeverityScreen: S.string,
  healthChecks: S.string,
  etcdV3CompactionPeriod: S.string,
  prometheusMetricsPort: S.int,
  controllers: S.object({
    node: S.object({
      reconcilerPeriod: S.string,
      syncLabels: S.string,
      hostEndpoint: S.object({
        autoCreate: S.string,
        createDefaultHostEndpoint: S.string,
        templates: S.array(TEMPLATE),
      }),
      leakGracePeriod: S.string,
    }),
    policy: RECONCILER,
    workloadEndpoint: RECONCILER,
    serviceAccount: RECONCILER,
    namespace: RECONCILER,
    loadBalancer: S.object({ assignIPs: S.string }),
    migration: S.object({ policyNameMigrator: S.string }),
  }),
  debugProfilePort: S.int,
});

interface Template {
  generateName?: string;
  interfaceCIDRs?: string[];
  interfacePattern?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: string;
}

export interface KubeControllersConfigurationSpec {
  logSeverityScreen?: string;
  healthChecks?: 'Enabled' | 'Disabled';
  etcdV3CompactionPeriod?: string;
  prometheusMetricsPort?: number;
  controllers: {
    node?: {
      reconcilerPeriod?: string;
      syncLabels?: 'Enabled' | 'Disabled';
      hostEndpoint?: { autoCreate?: string; createDefaultHostEndpoint?: string; templates?: Template[] };
      leakGracePeriod?: string;
    };
    policy?: { reconcilerPeriod?: string };
    workloadEndpoint?: { reconcilerPeriod?: string };
    serviceAccount?: { reconcilerPeriod?: string };
    namespace?: { reconcilerPeriod?: string };
    loadBalancer?: { assignIPs?: 'AllServices' | 'RequestedServicesOnly' };
    migration?: { policyNameMigrator?: 'Enabled' | 'Disabled' };
  };
  debugProfilePort?: number;
}
export type KubeControllersConfiguration = Resource<KubeControllersConfigurationSpec>;

function defaults(r: Resource): Resource {
  const spec = specOf<KubeControllersConfigurationSpec>(r);
  // CRD defaults, filled only where the enclosing object is present.
  if (spec.healthChecks === undefined) spec.healthChecks = 'Enabled';
  const controllers = { ...(spec.controllers ?? {}) };
  if (controllers.loadBalancer && controllers.loadBalancer.assignIPs === undefined) {
    controllers.loadBalancer = { ...controllers.loadBalancer, assignIPs: 'AllServices' };
  }
  if (controllers.migration && controllers.migration.policyNameMigrator === undefined) {
    controllers.migration = { ...controllers.migration, policyNameMigrator: 'Enabled' };
  }
  spec.controllers = controllers;
  return withSpec(r, spec);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<KubeControllersConfigurationSpec>(r);
  checkEnum(c, 'spec.logSeverityScreen', spec.logSeverityScreen, [
    'None',
    'Debug',
    'Info',
    'Warning',
    'Error',
    'Fatal',
    'Panic',
  ]);
  checkEnum(c, 'spec.healthChecks', spec.healthChecks, ENABLED_DISABLED);
  checkDuration(c, 'spec.etcdV3CompactionPeriod', spec.etcdV3CompactionPeriod);
  checkIntRange(c, 'spec.prometheusMetricsPort', spec.prometheusMetricsPort, 0, 65535);
  checkIntRange(c, 'spec.debugProfilePort', spec.debugProfilePort, 0, 65535);
  const ctl = spec.controllers ?? {};
  for (const name of ['node', 'policy', 'workloadEndpoint', 'serviceAccount', 'namespace'] as const) {
    checkDuration(c, `spec.controllers.${name}.reconcilerPeriod`, ctl[name]?.reconcilerPeriod);
  }
  const node = ctl.node;
  if (node) {
    checkEnum(c, 'spec.controllers.node.syncLabels', node.syncLabels, ENABLED_DISABLED);
    checkDuration(c, 'spec.controllers.node.leakGracePeriod', node.leakGracePeriod);
    const hep = node.hostEndpoint;
    if (hep) {
      checkEnum(c, 'spec.controllers.node.hostEndpoint.autoCreate', hep.autoCreate, ENABLED_DISABLED);
      checkEnum(
        c,
        'spec.controllers.node.hostEndpoint.createDefaultHostEndpoint',
        hep.createDefaultHostEndpoint,
        ENABLED_DISABLED,
      );
      (hep.templates ?? []).forEach((t, i) => {
        const at = `spec.controllers.node.hostEndpoint.templates[${i}]`;
        checkNameRef(c, `${at}.generateName`, t.generateName);
        checkCIDRList(c, `${at}.interfaceCIDRs`, t.interfaceCIDRs);
        checkRegexp(c, `${at}.interfacePattern`, t.interfacePattern);
        checkLabels(c, `${at}.labels`, t.labels);
        checkSelector(c, `${at}.nodeSelector`, t.nodeSelector);
      });
    }
  }
  checkEnum(c, 'spec.controllers.loadBalancer.assignIPs', ctl.loadBalancer?.assignIPs, [
    'AllServices',
    'RequestedServicesOnly',
  ]);
  checkEnum(
    c,
    'spec.controllers.migration.policyNameMigrator',
    ctl.migration?.policyNameMigrator,
    ENABLED_DISABLED,
  );
}

export const kubeControllersConfigurationKind: KindDef = {
  kind: 'KubeControllersConfiguration',
  plural: 'kubecontrollersconfigurations',
  namespaced: false,
  aliases: [
    'kubecontrollersconfiguration',
    'kubecontrollersconfigurations',
    'kubecontrollersconfig',
    'kubecontrollersconfigs',
  ],
  spec: SPEC,
  status: S.object({ runningConfig: SPEC, environmentVars: S.stringMap }),
  nameRule: onlyDefaultName('a KubeControllersConfiguration'),
  defaults,
  validate,
};
