/**
 * Strict decoding of calicoctl input: multi-document YAML or JSON, each document one resource, an
 * array of resources or a List. Unknown fields and wrong JSON types are errors (calicoctl decodes
 * with a strict decoder), reported with the document, kind, field path and source line.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { CalicoError } from '../errors/index.js';
import { joinPath } from './check.js';
import { LIST_META, OBJECT_META } from './common/meta.js';
import { kindByKind } from './registry.js';
import type { Schema } from './schema.js';
import { API_VERSION, type Resource } from './types.js';

type PathSeg = string | number;

/** Where in the input a decode error happened. */
export interface DecodeLocation {
  source: string;
  /** 1-based document number in a multi-document stream. */
  document?: number;
  /** 0-based index when the document is an array or a List. */
  item?: number;
  kind?: string;
  /** JSON path of the offending field, e.g. `spec.ipipMode`. */
  path?: string;
  line?: number;
  column?: number;
}

export class DecodeError extends CalicoError {
  constructor(
    readonly reason: string,
    readonly location: DecodeLocation,
    hint?: string,
  ) {
    super('DECODE', `${reason} (${describeLocation(location)})`, hint);
    this.name = 'DecodeError';
  }
}

function describeLocation(l: DecodeLocation): string {
  const parts = [`in ${l.source}`];
  if (l.document !== undefined) parts.push(`document ${l.document}`);
  if (l.item !== undefined) parts.push(`item ${l.item}`);
  if (l.kind) parts.push(`kind ${l.kind}`);
  if (l.line !== undefined) parts.push(`line ${l.line}, column ${l.column ?? 1}`);
  return parts.join(', ');
}

export const UNKNOWN_FIELD = 'field in document is not recognized or is in the wrong location';

export function unknownResourceReason(kind: unknown, apiVersion: unknown): string {
  return `unknown resource type (${typeof kind === 'string' ? kind : ''}) and/or version (${
    typeof apiVersion === 'string' ? apiVersion : ''
  })`;
}

/** Maps paths inside one parsed document back to the YAML source. */
interface Locator {
  position(path: PathSeg[], key: boolean): { line: number; column: number } | undefined;
  /** The source text of a plain (unquoted) scalar, so `version: 1.10` can fill a string field. */
  plainText(path: PathSeg[]): string | undefined;
}

class YamlLocator implements Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private resolve(n: unknown): unknown {
    return isAlias(n) ? n.resolve(this.doc) : n;
  }

  /** The map entry for `key`, looking through `<<` merges. */
  private pairIn(map: unknown, key: string, depth = 0): { key: unknown; value: unknown } | undefined {
    const m = this.resolve(map);
    if (!isMap(m) || depth > 10) return undefined;
    for (const p of m.items) {
      if (!isPair(p)) continue;
      const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
      if (k === key) return { key: p.key, value: p.value };
    }
    for (const p of m.items) {
      if (isPair(p) && isScalar(p.key) && p.key.value === '<<') {
        const src = this.resolve(p.value);
        const sources = isSeq(src) ? src.items : [src];
        for (const s of sources) {
          const found = this.pairIn(s, key, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  private node(path: PathSeg[], key: boolean): unknown {
    let n: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      n = this.resolve(n);
      if (typeof seg === 'number') {
        if (!isSeq(n)) return undefined;
        n = n.items[seg];
      } else {
        const p = this.pairIn(n, seg);
        if (!p) return undefined;
        n = key && i === path.length - 1 ? p.key : p.value;
      }
    }
    return n;
  }

  position(path: PathSeg[], key: boolean): { line: number; column: number } | undefined {
    const n = this.node(path, key) as YamlNode | undefined;
    const offset = n && typeof n === 'object' && 'range' in n && n.range ? n.range[0] : undefined;
    if (offset === undefined) return undefined;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  plainText(path: PathSeg[]): string | undefined {
    const n = this.resolve(this.node(path, false));
    if (isScalar(n) && n.type === 'PLAIN' && typeof n.source === 'string') return n.source;
    return undefined;
  }
}

/** Context of the resource being decoded, for error messages. */
interface Ctx {
  loc: DecodeLocation;
  locator?: Locator;
  /** Path from the document root to the resource (non-empty for array/List items). */
  base: PathSeg[];
}

function fail(ctx: Ctx, reason: string, path: PathSeg[], atKey: boolean, hint?: string): never {
  const full = [...ctx.base, ...path];
  const pos = ctx.locator?.position(full, atKey);
  throw new DecodeError(
    reason,
    { ...ctx.loc, path: path.length ? formatPath(path) : undefined, line: pos?.line, column: pos?.column },
    hint,
  );
}

export function formatPath(path: PathSeg[]): string {
  return path.reduce<string>((acc, seg) => joinPath(acc, seg), '');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<Schema['t'], string> = {
  string: 'a string',
  bool: 'a boolean (true or false)',
  number: 'a number',
  int: 'an integer',
  intOrString: 'an integer or a string',
  any: 'any value',
  object: 'an object',
  array: 'a list',
  map: 'an object (string keys)',
};

function typeError(ctx: Ctx, schema: Schema, v: unknown, path: PathSeg[]): never {
  return fail(
    ctx,
    `cannot decode field ${formatPath(path)}: expected ${EXPECTED[schema.t]}, got ${describe(v)}`,
    path,
    false,
  );
}

/** Returns the decoded value, or undefined for JSON null (Go leaves such fields unset). */
function decodeValue(schema: Schema, v: unknown, path: PathSeg[], ctx: Ctx): unknown {
  if (v === null || v === undefined) return undefined;
  switch (schema.t) {
    case 'any':
      return structuredClone(v);
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') {
        // Like sigs.k8s.io/yaml: an unquoted YAML scalar fills a string field with its text.
        const text = ctx.locator?.plainText([...ctx.base, ...path]);
        if (text !== undefined) return text;
      }
      return typeError(ctx, schema, v, path);
    case 'bool':
      if (typeof v === 'boolean') return v;
      return typeError(ctx, schema, v, path);
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      return typeError(ctx, schema, v, path);
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      return typeError(ctx, schema, v, path);
    case 'intOrString':
      if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return v;
      return typeError(ctx, schema, v, path);
    case 'array': {
      if (!Array.isArray(v)) return typeError(ctx, schema, v, path);
      return v.map((item, i) => {
        if (item === null && schema.items.t !== 'any') {
          typeError(ctx, schema.items, item, [...path, i]);
        }
        return decodeValue(schema.items, item, [...path, i], ctx);
      });
    }
    case 'map': {
      if (!isPlainObject(v)) return typeError(ctx, schema, v, path);
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const d = decodeValue(schema.values, item, [...path, k], ctx);
        if (d !== undefined) out[k] = d;
      }
      return out;
    }
    case 'object': {
      if (!isPlainObject(v)) return typeError(ctx, schema, v, path);
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const fieldSchema = Object.hasOwn(schema.fields, k) ? schema.fields[k] : undefined;
        if (!fieldSchema) fail(ctx, `${UNKNOWN_FIELD}: ${k}`, [...path, k], true);
        const d = decodeValue(fieldSchema, item, [...path, k], ctx);
        if (d !== undefined) out[k] = d;
      }
      return out;
    }
  }
}

function checkTypeMeta(obj: Record<string, unknown>, ctx: Ctx) {
  const { kind, apiVersion } = obj;
  const def = typeof kind === 'string' ? kindByKind(kind) : undefined;
  if (!def || apiVersion !== API_VERSION) {
    fail(
      ctx,
      unknownResourceReason(kind, apiVersion),
      [],
      false,
      `use apiVersion: ${API_VERSION} and a Calico kind such as IPPool`,
    );
  }
  return def;
}

/** Strictly decodes one already-parsed resource object (for example a stored value or a patch result). */
export function decodeObject(value: unknown, loc: DecodeLocation = { source: '<object>' }): Resource {
  return decodeResource(value, { loc, base: [] });
}

function decodeResource(value: unknown, ctx: Ctx): Resource {
  if (!isPlainObject(value)) {
    fail(
      ctx,
      `document is not a resource: expected an object with kind and apiVersion, got ${describe(value)}`,
      [],
      false,
    );
  }
  const def = checkTypeMeta(value, ctx);
  ctx.loc.kind = def.kind;
  const schema: Record<string, Schema> = {
    kind: { t: 'string' },
    apiVersion: { t: 'string' },
    metadata: OBJECT_META,
    spec: def.spec,
  };
  if (def.status) schema.status = def.status;
  const decoded = decodeValue({ t: 'object', fields: schema }, value, [], ctx) as Record<string, unknown>;
  return {
    apiVersion: API_VERSION,
    kind: def.kind,
    metadata: (decoded.metadata as Resource['metadata'] | undefined) ?? {},
    ...(decoded.spec !== undefined ? { spec: decoded.spec as Record<string, unknown> } : {}),
    ...(decoded.status !== undefined ? { status: decoded.status as Record<string, unknown> } : {}),
  };
}

function isListKind(kind: unknown): kind is string {
  return (
    kind === 'List' ||
    (typeof kind === 'string' && kind.endsWith('List') && kindByKind(kind.slice(0, -4)) !== undefined)
  );
}

/** Expands one document (resource, array or List) into resources. */
function decodeDocumentValue(value: unknown, loc: DecodeLocation, locator: Locator | undefined): Resource[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    return value.map((item, i) => decodeResource(item, { loc: { ...loc, item: i }, locator, base: [i] }));
  }
  if (isPlainObject(value) && isListKind(value.kind)) {
    const ctx: Ctx = { loc: { ...loc, kind: value.kind }, locator, base: [] };
    const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -4);
    if (itemKind !== undefined && value.apiVersion !== API_VERSION) {
      fail(ctx, unknownResourceReason(value.kind, value.apiVersion), [], false);
    }
    for (const k of Object.keys(value)) {
      if (!['kind', 'apiVersion', 'metadata', 'items'].includes(k))
        fail(ctx, `${UNKNOWN_FIELD}: ${k}`, [k], true);
    }
    decodeValue(LIST_META, value.metadata, ['metadata'], ctx);
    const items = value.items ?? [];
    if (!Array.isArray(items)) typeError(ctx, { t: 'array', items: { t: 'any' } }, items, ['items']);
    return items.map((item: unknown, i: number) => {
      // Items of a typed list may leave out their own kind and apiVersion.
      const filled =
        itemKind !== undefined && isPlainObject(item)
          ? { kind: itemKind, apiVersion: API_VERSION, ...item }
          : item;
      return decodeResource(filled, { loc: { ...loc, item: i }, locator, base: ['items', i] });
    });
  }
  return [decodeResource(value, { loc: { ...loc }, locator, base: [] })];
}

/** JSON that the YAML parser refuses (rare: JSON is YAML 1.2) is still accepted, without positions. */
function tryJSON(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Decodes calicoctl input text. Empty documents are skipped; empty input gives []. Throws
 * DecodeError (code `DECODE`) for syntax errors, unknown kinds, unknown fields and wrong types.
 */
export function decodeDocuments(text: string, source = '<input>'): Resource[] {
  if (text.trim() === '') return [];
  // JSON is parsed as YAML too, so JSON input gets line numbers and the same scalar handling.
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    merge: true,
    uniqueKeys: true,
  });
  const broken = docs.findIndex((d) => d.errors.length > 0);
  if (broken >= 0) {
    const json = tryJSON(text);
    if (json.ok) return decodeDocumentValue(json.value, { source, document: 1 }, undefined);
    const err = docs[broken].errors[0];
    const pos = err.linePos?.[0] ?? (err.pos ? lines.linePos(err.pos[0]) : undefined);
    throw new DecodeError(`syntax error: ${err.message}`, {
      source,
      document: broken + 1,
      line: pos?.line,
      column: pos?.col,
    });
  }
  const out: Resource[] = [];
  docs.forEach((doc, i) => {
    const loc: DecodeLocation = { source, document: i + 1 };
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new DecodeError(`cannot read ${source}: ${(e as Error).message}`, loc);
    }
    out.push(...decodeDocumentValue(value, loc, new YamlLocator(doc, lines)));
  });
  return out;
}
