import { API_VERSION, encodeJSON, encodeYAML, type Resource, type ResourceList } from '../../api/index.js';
import { CalicoError } from '../../errors/index.js';
import { columnsFor, NAMESPACE, type CellContext } from './columns.js';
import { renderTable } from './tabwriter.js';

export interface PrintRequest {
  kind: string;
  items: Resource[];
  /** `get <kind>` without names: yaml/json print one `<Kind>List`. */
  asList: boolean;
  listRevision?: string;
  /** -n or -A on a namespaced kind: a NAMESPACE column comes first. */
  withNamespace: boolean;
  ctx: CellContext;
}

/** Renders `calicoctl get` output in the requested `-o` format. */
export function printResources(format: string, req: PrintRequest): string {
  if (format === 'yaml' || format === 'yml' || format === 'json') {
    const value: Resource | Resource[] | ResourceList = req.asList
      ? {
          apiVersion: API_VERSION,
          kind: `${req.kind}List`,
          metadata: { resourceVersion: req.listRevision },
          items: req.items,
        }
      : req.items.length === 1
        ? req.items[0]
        : req.items;
    return format === 'json' ? encodeJSON(value) + '\n' : encodeYAML(value);
  }
  const cols = columnsFor(req.kind);
  let headings: string[];
  if (format === 'ps' || format === 'wide') {
    headings = format === 'ps' ? cols.ps : cols.wide;
  } else if (format.startsWith('custom-columns=')) {
    headings = format
      .slice('custom-columns='.length)
      .split(',')
      .map((h) => h.trim().toUpperCase())
      .filter(Boolean);
    if (headings.length === 0) throw new CalicoError('USAGE', 'need to specify at least one column');
    const valid = Object.keys(cols.cells);
    for (const h of headings) {
      if (!cols.cells[h] && h !== 'NAMESPACE') {
        throw new CalicoError('USAGE', `unknown heading ${h}, valid values are: ${valid.join(', ')}`);
      }
    }
  } else {
    throw new CalicoError('USAGE', `unrecognized output format '${format}'`);
  }
  if (req.withNamespace && !headings.includes('NAMESPACE')) headings = ['NAMESPACE', ...headings];
  const cell = (h: string) => (h === 'NAMESPACE' ? NAMESPACE : cols.cells[h]);
  const rows = [headings, ...req.items.map((r) => headings.map((h) => cell(h)(r, req.ctx)))];
  return renderTable(rows) + '\n';
}
