/**
 * Output encoders matching calicoctl `-o json` and `-o yaml`.
 *
 * JSON is Go's json.MarshalIndent of the typed structs: fields in struct order (so every schema
 * lists its fields in Go order), map keys sorted, `<`, `>` and `&` escaped, no trailing newline.
 * YAML is that JSON converted by sigs.k8s.io/yaml (go-yaml v2): keys sorted at every level,
 * 2-space indentation, sequences under a key not indented, strings quoted only when they would
 * otherwise read as another type, long scalars folded at column 80.
 */
import { kindByKind } from './registry.js';
import { LIST_META, OBJECT_META } from './common/meta.js';
import type { Schema } from './schema.js';
import type { Resource, ResourceList } from './types.js';

type Encodable = Resource | Resource[] | ResourceList;

/** Go's zero values as omitempty sees them. */
function isZeroValue(v: unknown): boolean {
  if (v === false || v === 0 || v === '' || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Re-creates `v` with object keys in the schema's (Go struct) order; maps sorted, unknown keys last. */
function ordered(v: unknown, schema: Schema | undefined): unknown {
  if (Array.isArray(v)) {
    const items = schema?.t === 'array' ? schema.items : undefined;
    return v.map((x) => ordered(x, items));
  }
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  if (schema?.t === 'object') {
    for (const [k, s] of Object.entries(schema.fields)) {
      if (v[k] !== undefined && !(s.omitZero && isZeroValue(v[k]))) out[k] = ordered(v[k], s);
    }
    for (const [k, x] of Object.entries(v)) {
      if (!Object.hasOwn(schema.fields, k) && x !== undefined) out[k] = ordered(x, undefined);
    }
    return out;
  }
  if (schema?.t === 'map') {
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = ordered(v[k], schema.values);
    return out;
  }
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = ordered(x, undefined);
  return out;
}

/** The resource as Go would marshal it: TypeMeta, metadata, spec (always present), status. */
function resourceValue(r: Resource): Record<string, unknown> {
  const def = kindByKind(r.kind);
  const out: Record<string, unknown> = {
    kind: r.kind,
    apiVersion: r.apiVersion,
    metadata: ordered(r.metadata ?? {}, OBJECT_META),
  };
  if (r.spec !== undefined || def) out.spec = ordered(r.spec ?? {}, def?.spec);
  // Kinds whose Go status is a struct (not a pointer) always print it, even when empty.
  if (r.status !== undefined || (def?.status && !def.statusOmitEmpty))
    out.status = ordered(r.status ?? {}, def?.status);
  const extra = r as unknown as Record<string, unknown>;
  for (const [k, x] of Object.entries(extra))
    if (!(k in out) && x !== undefined) out[k] = ordered(x, undefined);
  return out;
}

function isList(v: Encodable): v is ResourceList {
  return !Array.isArray(v) && Array.isArray((v as ResourceList).items);
}

function toValue(v: Encodable): unknown {
  if (Array.isArray(v)) return v.map(resourceValue);
  if (isList(v)) {
    return {
      kind: v.kind,
      apiVersion: v.apiVersion,
      metadata: ordered(v.metadata ?? {}, LIST_META),
      items: v.items.map(resourceValue),
    };
  }
  return resourceValue(v);
}

// Go's encoding/json escapes these even inside strings meant for humans.
const GO_JSON_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** calicoctl `-o json`. */
export function encodeJSON(value: Encodable): string {
  return JSON.stringify(toValue(value), null, 2).replace(/[<>&\u2028\u2029]/g, (c) => GO_JSON_ESCAPES[c]);
}

/** calicoctl `-o yaml`. */
export function encodeYAML(value: Encodable): string {
  return toYAML(toValue(value));
}

// ---------------------------------------------------------------------------------------------
// A YAML emitter for JSON data that reproduces go-yaml v2's (libyaml's) block output.

const BEST_WIDTH = 80;
const INDENT = 2;

/** go-yaml v2 key order: letters after other characters, digit runs compared as numbers. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string) => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

function sortKeys(keys: string[]): string[] {
  return keys.sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
}

const YAML11_SPECIAL = new Set([
  '',
  '~',
  'null',
  'Null',
  'NULL',
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'on',
  'On',
  'ON',
  'true',
  'True',
  'TRUE',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'off',
  'Off',
  'OFF',
  'false',
  'False',
  'FALSE',
  '.nan',
  '.NaN',
  '.NAN',
  '.inf',
  '.Inf',
  '.INF',
  '+.inf',
  '+.Inf',
  '+.INF',
  '-.inf',
  '-.Inf',
  '-.INF',
]);
const YAML_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const YAML_TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** True when go-yaml v2 would read the unquoted text as something other than a string. */
function resolvesToNonString(s: string): boolean {
  if (YAML11_SPECIAL.has(s)) return true;
  const first = s[0];
  if (first === '.' && /^\.[0-9]/.test(s)) return YAML_FLOAT.test(s);
  if ((first >= '0' && first <= '9') || first === '+' || first === '-') {
    if (YAML_TIMESTAMP.test(s)) return true;
    const plain = s.replace(/_/g, '');
    if (YAML_INT.test(plain) || YAML_FLOAT.test(plain)) return true;
  }
  return BASE60_FLOAT.test(s);
}

function isBreak(c: string): boolean {
  return c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
}
function isBlankZ(c: string | undefined): boolean {
  return c === undefined || c === ' ' || c === '\t' || c === '\0' || isBreak(c);
}
function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

/** libyaml's yaml_emitter_analyze_scalar, for block context. */
function analyze(s: string): ScalarAnalysis {
  const ch = [...s];
  if (ch.length === 0) return { multiline: false, blockPlain: true, singleQuoted: true, block: false };
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  const last = ch.length - 1;
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i];
    const followedByWhitespace = isBlankZ(ch[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      if ((c === '?' || c === ':') && followedByWhitespace) blockIndicators = true;
      if (c === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === ':' && followedByWhitespace) blockIndicators = true;
      if (c === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankZ(c);
  }
  const r: ScalarAnalysis = { multiline: lineBreaks, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) r.blockPlain = false;
  if (trailingSpace) r.block = false;
  if (breakSpace) {
    r.blockPlain = false;
    r.singleQuoted = false;
  }
  if (spaceBreak || special) {
    r.blockPlain = false;
    r.singleQuoted = false;
    r.block = false;
  }
  if (lineBreaks) r.blockPlain = false;
  if (blockIndicators) r.blockPlain = false;
  return r;
}

type Style = 'plain' | 'single' | 'double' | 'literal';

/** go-yaml v2's choice (stringv) refined by libyaml's checks (select_scalar_style). */
function styleFor(s: string, simpleKey: boolean): Style {
  const a = analyze(s);
  let style: Style = s.includes('\n') ? 'literal' : resolvesToNonString(s) ? 'double' : 'plain';
  if (simpleKey && a.multiline) return 'double';
  if (style === 'plain') {
    if (!a.blockPlain || (simpleKey && s.length === 0)) style = 'single';
  }
  if (style === 'single' && !a.singleQuoted) style = 'double';
  if (style === 'literal' && (!a.block || simpleKey)) style = 'double';
  return style;
}

const DOUBLE_ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\x0b': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\u0085': 'N',
  '\u00a0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

class Writer {
  out = '';
  column = 0;

  write(s: string): void {
    this.out += s;
    this.column += [...s].length;
  }

  newline(indent: number): void {
    this.out += '\n' + ' '.repeat(indent);
    this.column = indent;
  }

  /** A break with no indentation (an empty line inside a literal block). */
  bareBreak(): void {
    this.out += '\n';
    this.column = 0;
  }
}

/** Writes a string scalar; `indent` is where folded continuation lines start. */
function writeString(w: Writer, s: string, indent: number, simpleKey: boolean): void {
  const style = styleFor(s, simpleKey);
  const allowBreaks = !simpleKey;
  const ch = [...s];
  switch (style) {
    case 'plain': {
      let spaces = false;
      for (let i = 0; i < ch.length; i++) {
        if (ch[i] === ' ') {
          if (allowBreaks && !spaces && w.column > BEST_WIDTH && ch[i + 1] !== ' ') w.newline(indent);
          else w.write(' ');
          spaces = true;
        } else {
          w.write(ch[i]);
          spaces = false;
        }
      }
      return;
    }
    case 'single': {
      w.write("'");
      let spaces = false;
      for (let i = 0; i < ch.length; i++) {
        const c = ch[i];
        if (c === ' ') {
          if (
            allowBreaks &&
            !spaces &&
            w.column > BEST_WIDTH &&
            i !== 0 &&
            i !== ch.length - 1 &&
            ch[i + 1] !== ' '
          ) {
            w.newline(indent);
          } else w.write(' ');
          spaces = true;
        } else {
          w.write(c === "'" ? "''" : c);
          spaces = false;
        }
      }
      w.write("'");
      return;
    }
    case 'double': {
      w.write('"');
      let spaces = false;
      for (let i = 0; i < ch.length; i++) {
        const c = ch[i];
        const cp = c.codePointAt(0) ?? 0;
        if (!isPrintable(c) || cp === 0xfeff || isBreak(c) || c === '"' || c === '\\') {
          const esc = DOUBLE_ESCAPES[c];
          if (esc !== undefined) w.write(`\\${esc}`);
          else if (cp <= 0xff) w.write(`\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`);
          else if (cp <= 0xffff) w.write(`\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`);
          else w.write(`\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`);
          spaces = false;
        } else if (c === ' ') {
          if (allowBreaks && !spaces && w.column > BEST_WIDTH && i !== 0 && i !== ch.length - 1) {
            w.newline(indent);
            if (ch[i + 1] === ' ') w.write('\\');
          } else w.write(' ');
          spaces = true;
        } else {
          w.write(c);
          spaces = false;
        }
      }
      w.write('"');
      return;
    }
    case 'literal': {
      let hints = '';
      if (ch[0] === ' ' || isBreak(ch[0])) hints += String(INDENT);
      const lastC = ch[ch.length - 1];
      if (!isBreak(lastC)) hints += '-';
      else if (ch.length === 1 || isBreak(ch[ch.length - 2])) hints += '+';
      w.write(`|${hints}`);
      // The final line break is implied by whatever is written next.
      const body = isBreak(lastC) ? ch.slice(0, -1) : ch;
      let atLineStart = true;
      w.bareBreak();
      for (const c of body) {
        if (isBreak(c)) {
          w.bareBreak();
          atLineStart = true;
        } else {
          if (atLineStart) w.write(' '.repeat(indent));
          w.write(c);
          atLineStart = false;
        }
      }
      return;
    }
  }
}

/** go-yaml v2 prints float64 with strconv 'g' (shortest); integers come through JSON as ints. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  const [mant, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 21 || (exp >= 6 && !Number.isInteger(n))) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

function writeScalar(w: Writer, v: unknown, indent: number, simpleKey = false): void {
  if (v === null || v === undefined) w.write('null');
  else if (typeof v === 'boolean') w.write(v ? 'true' : 'false');
  else if (typeof v === 'number') w.write(formatNumber(v));
  else if (typeof v === 'bigint') w.write(v.toString());
  else writeString(w, String(v), indent, simpleKey);
}

function isEmptyCollection(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

/** Emits a node whose first line is already positioned (after `key:` or `- `). */
function writeValueAfterKey(w: Writer, v: unknown, indent: number): void {
  if (isEmptyCollection(v)) {
    w.write(Array.isArray(v) ? ' []' : ' {}');
  } else if (Array.isArray(v)) {
    // Sequences under a mapping key are not indented.
    w.newline(indent);
    writeSeq(w, v, indent);
  } else if (isPlainObject(v)) {
    w.newline(indent + INDENT);
    writeMap(w, v, indent + INDENT);
  } else {
    w.write(' ');
    writeScalar(w, v, indent + INDENT);
  }
}

function writeMap(w: Writer, m: Record<string, unknown>, indent: number): void {
  const keys = sortKeys(Object.keys(m).filter((k) => m[k] !== undefined));
  keys.forEach((k, i) => {
    if (i > 0) w.newline(indent);
    writeString(w, k, indent + INDENT, true);
    w.write(':');
    writeValueAfterKey(w, m[k], indent);
  });
}

function writeSeq(w: Writer, items: unknown[], indent: number): void {
  items.forEach((item, i) => {
    if (i > 0) w.newline(indent);
    w.write('-');
    if (isEmptyCollection(item)) w.write(Array.isArray(item) ? ' []' : ' {}');
    else if (Array.isArray(item)) {
      w.write(' ');
      writeSeq(w, item, indent + INDENT);
    } else if (isPlainObject(item)) {
      w.write(' ');
      writeMap(w, item, indent + INDENT);
    } else {
      w.write(' ');
      writeScalar(w, item, indent + INDENT);
    }
  });
}

/** One YAML document (no `---`), ending in a newline, as go-yaml v2 prints JSON data. */
export function toYAML(v: unknown): string {
  const w = new Writer();
  if (isEmptyCollection(v)) w.write(Array.isArray(v) ? '[]' : '{}');
  else if (Array.isArray(v)) writeSeq(w, v, 0);
  else if (isPlainObject(v)) writeMap(w, v, 0);
  else writeScalar(w, v, 0);
  return w.out.endsWith('\n') ? w.out : `${w.out}\n`;
}
