import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, decodeDocuments, encodeJSON, FELIX_CONFIG_FIELDS } from '../../../src/api/index.js';
import { assertRejects, assertValid, res } from './helpers.js';

const felix = (spec: object, name = 'default') => res('FelixConfiguration', name, spec);

describe('FelixConfiguration', () => {
  it('fills the etcd-mode client and CRD defaults only when absent', () => {
    assert.deepEqual(applyDefaults(felix({})).spec, {
      floatingIPs: 'Disabled',
      bpfConnectTimeLoadBalancing: 'TCP',
      bpfHostNetworkedNATWithoutCTLB: 'Enabled',
      nftablesMode: 'Auto',
      nftablesFlowTableOffload: 'Disabled',
    });
    const d = applyDefaults(felix({ nftablesMode: 'Enabled', bpfConnectTimeLoadBalancingEnabled: false }));
    assert.equal((d.spec as Record<string, unknown>).nftablesMode, 'Enabled');
    assert.equal((d.spec as Record<string, unknown>).bpfConnectTimeLoadBalancing, 'Disabled');
    assert.equal((d.spec as Record<string, unknown>).bpfHostNetworkedNATWithoutCTLB, 'Disabled');
  });

  it('accepts the commonly used fields', () => {
    assertValid(
      felix({
        logSeverityScreen: 'info',
        logSeverityFile: 'None'.length ? 'Warning' : 'Info',
        ipv6Support: false,
        bpfEnabled: false,
        iptablesBackend: 'nft',
        nftablesMode: 'Disabled',
        interfacePrefix: 'cali',
        interfaceExclude: 'kube-ipvs0,/^veth.*/',
        chainInsertMode: 'Append',
        defaultEndpointToHostAction: 'Return',
        iptablesFilterAllowAction: 'Accept',
        iptablesFilterDenyAction: 'Reject',
        ipipEnabled: true,
        ipipMTU: 1480,
        vxlanEnabled: true,
        vxlanPort: 4789,
        vxlanVNI: 4096,
        vxlanMTU: 1450,
        wireguardEnabled: false,
        wireguardListeningPort: 51820,
        wireguardInterfaceName: 'wireguard.cali',
        reportingInterval: '0s',
        reportingTTL: '90s',
        healthEnabled: true,
        healthHost: 'localhost',
        healthPort: 9099,
        prometheusMetricsEnabled: true,
        prometheusMetricsPort: 9091,
        failsafeInboundHostPorts: [
          { protocol: 'TCP', port: 22 },
          { protocol: 'UDP', port: 68, net: '10.0.0.0/8' },
        ],
        failsafeOutboundHostPorts: [],
        routeRefreshInterval: '90s',
        iptablesRefreshInterval: '1m30s',
        natOutgoingAddress: '192.0.2.1',
        natPortRange: '32768:65535',
        mtuIfacePattern: '^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)',
        deviceRouteProtocol: 3,
        removeExternalRoutes: true,
        routeSource: 'WorkloadIPs',
        ipForwarding: 'Enabled',
        serviceLoopPrevention: 'Drop',
        workloadSourceSpoofing: 'Any',
        kubeNodePortRanges: ['30000:32767', 40000],
        iptablesMarkMask: 0xffff0000,
        endpointStatusPathPrefix: '/var/run/calico',
        usageReportingEnabled: false,
        metadataAddr: 'None',
        metadataPort: 8775,
        floatingIPs: 'Enabled',
        programClusterRoutes: 'EnabledIPIPOnly',
        routeTableRange: { min: 1, max: 250 },
        externalNodesList: ['10.0.0.0/8', '192.168.1.1'],
        openstackRegion: 'region-one',
        healthTimeoutOverrides: [{ name: 'InternalDataplaneMainLoop', timeout: '2m' }],
        featureDetectOverride: 'SNATFullyRandom=true,MASQFullyRandom=false',
      }),
    );
  });

  it('accepts per-node and selector-scoped configurations', () => {
    assertValid(felix({ defaultEndpointToHostAction: 'Return' }, 'node.node1'));
    assertValid(felix({ nodeSelector: 'zone == "a"', logSeverityScreen: 'Debug' }, 'zone-a'));
  });

  it('forbids nodeSelector on default and node.* and checks it elsewhere', () => {
    assertRejects(
      felix({ nodeSelector: 'all()' }),
      'spec.nodeSelector',
      "must not be set on the 'default' or per-node ('node.*') FelixConfiguration",
    );
    assertRejects(felix({ nodeSelector: 'all()' }, 'node.n1'), 'spec.nodeSelector', 'must not be set');
    assertRejects(felix({ nodeSelector: 'has(' }, 'zone-a'), 'spec.nodeSelector', 'invalid selector');
  });

  it('checks enums, ranges, durations and formats', () => {
    const cases: [object, string, string][] = [
      [{ logSeverityScreen: 'Verbose' }, 'spec.logSeverityScreen', 'must be one of'],
      [{ iptablesBackend: 'Old' }, 'spec.iptablesBackend', 'must be one of: Auto, Legacy, NFT'],
      [{ nftablesMode: 'auto' }, 'spec.nftablesMode', 'must be one of'],
      [{ chainInsertMode: 'Prepend' }, 'spec.chainInsertMode', 'must be one of'],
      [{ defaultEndpointToHostAction: 'Reject' }, 'spec.defaultEndpointToHostAction', 'must be one of'],
      [
        { iptablesFilterDenyAction: 'Accept' },
        'spec.iptablesFilterDenyAction',
        'must be one of: Drop, Reject',
      ],
      [{ routeSource: 'BGP' }, 'spec.routeSource', 'must be one of'],
      [{ ipForwarding: 'On' }, 'spec.ipForwarding', 'must be one of'],
      [{ serviceLoopPrevention: 'drop' }, 'spec.serviceLoopPrevention', 'must be one of'],
      [{ workloadSourceSpoofing: 'All' }, 'spec.workloadSourceSpoofing', 'must be one of'],
      [{ floatingIPs: 'On' }, 'spec.floatingIPs', 'must be one of'],
      [{ programClusterRoutes: 'x' }, 'spec.programClusterRoutes', 'must be one of'],
      [{ wireguardListeningPort: 0 }, 'spec.wireguardListeningPort', 'between 1 and 65535'],
      [{ wireguardRoutingRulePriority: 32766 }, 'spec.wireguardRoutingRulePriority', 'between 1 and 32765'],
      [{ wireguardInterfaceName: 'this-name-is-too-long' }, 'spec.wireguardInterfaceName', 'interface name'],
      [{ healthPort: 70000 }, 'spec.healthPort', 'between 0 and 65535'],
      [{ iptablesMarkMask: 0x1ffffffff }, 'spec.iptablesMarkMask', 'between 0 and 4294967295'],
      [{ logActionRateLimitBurst: 10000 }, 'spec.logActionRateLimitBurst', 'between 0 and 9999'],
      [{ ipv4NormalRoutePriority: 0 }, 'spec.ipv4NormalRoutePriority', 'between 1 and 2147483646'],
      [{ goMaxProcs: -2 }, 'spec.goMaxProcs', 'between -1'],
      [{ reportingInterval: '30' }, 'spec.reportingInterval', 'duration'],
      [{ routeRefreshInterval: '1d' }, 'spec.routeRefreshInterval', 'duration'],
      [{ mtuIfacePattern: '([a-z' }, 'spec.mtuIfacePattern', 'invalid regular expression'],
      [{ natOutgoingAddress: 'fd00::1' }, 'spec.natOutgoingAddress', 'IPv4'],
      [{ deviceRouteSourceAddress: 'x' }, 'spec.deviceRouteSourceAddress', 'IPv4'],
      [{ deviceRouteSourceAddressIPv6: '10.0.0.1' }, 'spec.deviceRouteSourceAddressIPv6', 'IPv6'],
      [
        { natPortRange: '2000:1000' },
        'spec.natPortRange',
        'minimum port number (2000) is greater than maximum',
      ],
      [{ natPortRange: 'http' }, 'spec.natPortRange', 'not a named port'],
      [{ featureGates: 'a,b' }, 'spec.featureGates', 'key=value'],
      [{ logPrefix: 'bad!' }, 'spec.logPrefix', 'may contain only'],
      [{ logActionRateLimit: '10/week' }, 'spec.logActionRateLimit', 'must look like'],
      [{ prometheusMetricsHost: 'a b' }, 'spec.prometheusMetricsHost', 'host name'],
      [
        { iptablesNATOutgoingInterfaceFilter: 'eth 0' },
        'spec.iptablesNATOutgoingInterfaceFilter',
        'interface',
      ],
      [
        { bpfConntrackTimeouts: { tcpEstablished: 'forever' } },
        'spec.bpfConntrackTimeouts.tcpEstablished',
        'Auto',
      ],
      [{ bpfDSROptoutCIDRs: ['10.0.0.0/33'] }, 'spec.bpfDSROptoutCIDRs[0]', 'invalid CIDR'],
      [{ bpfLogFilters: { 'bad iface': 'tcp' } }, 'spec.bpfLogFilters.bad iface', 'interface names'],
      [{ bpfMapSizeConntrackCleanupQueue: 0 }, 'spec.bpfMapSizeConntrackCleanupQueue', 'between 1'],
    ];
    for (const [spec, field, reason] of cases) assertRejects(felix(spec), field, reason);
  });

  it('checks failsafe ports, node port ranges and route tables', () => {
    assertRejects(
      felix({ failsafeInboundHostPorts: [{ protocol: 'tcp', port: 22 }] }),
      'spec.failsafeInboundHostPorts[0].protocol',
      "protocol must be 'TCP' or 'UDP' or 'SCTP'.",
    );
    assertRejects(
      felix({ failsafeOutboundHostPorts: [{ protocol: 'ICMP', port: 1 }] }),
      'spec.failsafeOutboundHostPorts[0].protocol',
      'TCP',
    );
    assertRejects(
      felix({ failsafeInboundHostPorts: [{ protocol: 'TCP', port: 65536 }] }),
      'spec.failsafeInboundHostPorts[0].port',
      'between 0 and 65535',
    );
    assertRejects(
      felix({ failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22, net: 'x' }] }),
      'spec.failsafeInboundHostPorts[0].net',
      'invalid CIDR',
    );
    assertRejects(
      felix({ kubeNodePortRanges: ['1:2', '3:4', '5:6', '7:8', '9:10', '11:12', '13:14', '15:16'] }),
      'spec.kubeNodePortRanges',
      'too long (max 7)',
    );
    assertRejects(
      felix({ kubeNodePortRanges: ['http'] }),
      'spec.kubeNodePortRanges[0]',
      'should not contain named ports',
    );
    assertRejects(felix({ routeTableRange: { min: 0, max: 10 } }), 'spec.routeTableRange', 'within 1..250');
    assertRejects(felix({ routeTableRange: { min: 1, max: 251 } }), 'spec.routeTableRange', 'within 1..250');
    assertRejects(
      felix({ routeTableRanges: [{ min: 10, max: 5 }] }),
      'spec.routeTableRanges[0]',
      'min value cannot be greater than max value',
    );
    assertRejects(
      felix({ routeTableRanges: [{ min: 0, max: 5 }] }),
      'spec.routeTableRanges[0]',
      'cannot target indices < 1',
    );
    assertRejects(
      felix({ routeTableRanges: [{ min: 1, max: 70000 }] }),
      'spec.routeTableRanges',
      'targets too many tables',
    );
    assertRejects(
      felix({ routeTableRange: { min: 1, max: 2 }, routeTableRanges: [{ min: 3, max: 4 }] }),
      'spec.routeTableRanges',
      'cannot both be set',
    );
    assertValid(
      felix({
        routeTableRanges: [
          { min: 1, max: 250 },
          { min: 1000, max: 2000 },
        ],
      }),
    );
  });

  it('checks externalNodesList, openstackRegion and healthTimeoutOverrides', () => {
    assertRejects(
      felix({ externalNodesList: ['bogus'] }),
      'spec.externalNodesList[0]',
      'has invalid CIDR(s)',
    );
    assertRejects(
      felix({ externalNodesList: ['fd00::/64'] }),
      'spec.externalNodesList[0]',
      'has invalid IPv6 CIDR',
    );
    assertRejects(
      felix({ openstackRegion: 'Region_1' }),
      'spec.openstackRegion',
      'must be a valid DNS label',
    );
    assertRejects(felix({ openstackRegion: 'r'.repeat(47) }), 'spec.openstackRegion', 'is too long');
    assertRejects(
      felix({ healthTimeoutOverrides: [{ name: 'bad/name', timeout: '1s' }] }),
      'spec.healthTimeoutOverrides[0].name',
      'name should match regex',
    );
    assertRejects(
      felix({ healthTimeoutOverrides: [{ name: 'x', timeout: '-1s' }] }),
      'spec.healthTimeoutOverrides[0].timeout',
      'duration',
    );
  });

  it('decodes every schema field strictly and encodes them in Go order', () => {
    assert.ok(FELIX_CONFIG_FIELDS.length > 180);
    assert.equal(FELIX_CONFIG_FIELDS[0], 'nodeSelector');
    assert.throws(
      () =>
        decodeDocuments(
          'apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec:\n  logSeverityScren: Info\n',
        ),
      /not recognized or is in the wrong location: logSeverityScren/,
    );
    const [r] = decodeDocuments(
      'apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec:\n  wireguardEnabled: true\n  bpfEnabled: false\n  ipv6Support: false\n  reportingInterval: 0s\n',
    );
    const keys = Object.keys(JSON.parse(encodeJSON(r)).spec);
    assert.deepEqual(keys, ['ipv6Support', 'reportingInterval', 'bpfEnabled', 'wireguardEnabled']);
  });
});
