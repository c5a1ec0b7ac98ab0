/**
 * A small JSON reader/writer that keeps 64-bit integers exact. Calico stores block sequence numbers
 * as uint64 JSON numbers (nanosecond timestamps, > 2^53): JSON.parse would round them, and
 * JSON.stringify cannot write a bigint. Integers outside the safe range read as bigint; bigints
 * write as plain digits. Writing follows Go's encoding/json: compact, keys in the order given,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as \u00XX, as Calico's json.Marshal does.
 */
import { CalicoError } from '../../errors/index.js';

export type JSONValue = null | boolean | number | bigint | string | JSONValue[] | JSONObject;
export interface JSONObject {
  [key: string]: JSONValue;
}

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new CalicoError('DECODE', `invalid JSON at offset ${this.i}: ${what}`);
  }

  ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  value(depth: number): JSONValue {
    if (depth > 512) this.fail('nested too deeply');
    this.ws();
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.word('true', true);
      case 0x66: // f
        return this.word('false', false);
      case 0x6e: // n
        return this.word('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(
          Number.isNaN(c) ? 'unexpected end of input' : `unexpected ${JSON.stringify(this.s[this.i])}`,
        );
    }
  }

  word<T>(w: string, v: T): T {
    if (!this.s.startsWith(w, this.i)) this.fail(`expected ${w}`);
    this.i += w.length;
    return v;
  }

  number(): number | bigint {
    const s = this.s;
    const start = this.i;
    if (s.charCodeAt(this.i) === 0x2d) this.i++;
    const intStart = this.i;
    if (s.charCodeAt(this.i) === 0x30) this.i++;
    else this.digits();
    if (this.i === intStart) this.fail('expected a digit');
    let integer = true;
    if (s.charCodeAt(this.i) === 0x2e) {
      integer = false;
      this.i++;
      if (this.digits() === 0) this.fail('expected a digit after the decimal point');
    }
    const e = s.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      this.i++;
      const sign = s.charCodeAt(this.i);
      if (sign === 0x2b || sign === 0x2d) this.i++;
      if (this.digits() === 0) this.fail('expected a digit in the exponent');
    }
    const text = s.slice(start, this.i);
    // Up to 15 digits always fits a double exactly; longer integers go through BigInt.
    if (!integer || this.i - intStart <= 15) return Number(text);
    const big = BigInt(text);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }

  digits(): number {
    const start = this.i;
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (c >= 0x30 && c <= 0x39) this.i++;
      else return this.i - start;
    }
  }

  string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let run = this.i;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 0x22) {
        out += s.slice(run, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(run, this.i);
      const esc = s[this.i + 1];
      this.i += 2;
      switch (esc) {
        case '"':
        case '\\':
        case '/':
          out += esc;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 4;
          break;
        }
        default:
          this.fail('bad escape');
      }
      run = this.i;
    }
  }

  array(depth: number): JSONValue[] {
    this.i++;
    const out: JSONValue[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail("expected ',' or ']'");
    }
  }

  object(depth: number): JSONObject {
    this.i++;
    const out: JSONObject = {};
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i++) !== 0x3a) this.fail("expected ':'");
      const v = this.value(depth + 1);
      setOwn(out, key, v);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail("expected ',' or '}'");
    }
  }
}

/** `o[k] = v`, except that "__proto__" becomes an own data property instead of a prototype swap. */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Parses JSON; integers beyond ±(2^53−1) come back as bigint. Throws CalicoError('DECODE'). */
export function parseJSON(text: string): JSONValue {
  const r = new Reader(text);
  const v = r.value(0);
  r.ws();
  if (r.i !== text.length) r.fail('trailing characters');
  return v;
}

const HEX = '0123456789abcdef';

// Characters Go's encoder escapes: quote, backslash, controls, <, >, &, U+2028, U+2029.

/** Whether s has any of those: a loop over char codes beats the regex on short strings. */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) return true;
    if (c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** A JSON string literal as Go's encoder writes it. */
export function quote(s: string): string {
  if (!needsEscape(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&') out += `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return `${out}"`;
}

/** What stringifyJSON writes: JSON values, plus Maps for objects whose key order matters. */
export type JSONOut =
  JSONValue | ReadonlyMap<string, JSONOut> | JSONOut[] | { [key: string]: JSONOut | undefined };

/**
 * Compact JSON in Go's style; bigint as digits; undefined members omitted. Object keys come in
 * property order, which JS puts integer-like keys first in; a Map keeps exactly its entry order.
 */
export function stringifyJSON(v: JSONOut | undefined): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new RangeError(`cannot encode ${v} as JSON`);
      return String(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return quote(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => stringifyJSON(x)).join(',')}]`;
  const parts: string[] = [];
  const entries = v instanceof Map ? [...(v as ReadonlyMap<string, JSONOut>)] : Object.entries(v);
  for (const [k, x] of entries) {
    if (x !== undefined) parts.push(`${quote(k)}:${stringifyJSON(x)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Go marshals map keys sorted by byte order (so "10" before "2"): a Map in that order. */
export function sortedRecord<T extends JSONOut>(r: Readonly<Record<string, T>>): Map<string, T> {
  return new Map(
    Object.keys(r)
      .sort(byteOrder)
      .map((k) => [k, r[k]] as const),
  );
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
