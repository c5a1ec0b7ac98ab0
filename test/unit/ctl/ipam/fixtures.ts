import type { AllocationAttribute, AllocationBlock } from '../../../../src/ipam/model.js';

/** A block with the given ordinals allocated, each to the attribute at the same position of `attrs`. */
export function block(
  cidr: string,
  size: number,
  affinity: string | null,
  allocated: [number, AllocationAttribute][],
  seq = 1000n,
): AllocationBlock {
  const attributes: AllocationAttribute[] = [];
  const allocations: (number | null)[] = new Array(size).fill(null);
  const stamps: Record<string, bigint> = {};
  for (const [ord, attr] of allocated) {
    let idx = attributes.findIndex((a) => JSON.stringify(a) === JSON.stringify(attr));
    if (idx < 0) idx = attributes.push(attr) - 1;
    allocations[ord] = idx;
    stamps[String(ord)] = seq + BigInt(ord);
  }
  return {
    cidr,
    affinity,
    allocations,
    unallocated: allocations.map((a, i) => (a === null ? i : -1)).filter((i) => i >= 0),
    attributes,
    sequenceNumber: seq + 100n,
    sequenceNumberForAllocation: stamps,
  };
}

export function pod(
  node: string,
  ns: string,
  name: string,
  handle = `k8s-pod-network.${name}`,
): AllocationAttribute {
  return {
    handle_id: handle,
    secondary: { node, namespace: ns, pod: name, timestamp: '2026-01-01T00:00:00Z' },
  };
}
