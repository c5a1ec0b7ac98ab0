/**
 * The two number formats `calicoctl ipam show` prints with Go's fmt: `%.5g` of an address count
 * and `"%.5g (%.f%%)"` of a count and its share of a capacity. Go formats the float64's exact
 * decimal value and breaks exact ties to even (JavaScript's toFixed/toPrecision round ties up),
 * so both are written out here rather than borrowed from Number's methods.
 */

/** The digits of a non-negative integer rounded to `prec` significant digits, ties to even. */
function roundInteger(v: bigint, prec: number): { digits: string; exp: number } {
  const s = v.toString();
  const exp = s.length - 1; // decimal exponent of the leading digit
  if (s.length <= prec) return { digits: s, exp };
  let head = BigInt(s.slice(0, prec));
  const rest = s.slice(prec);
  const half = '5' + '0'.repeat(rest.length - 1);
  if (rest > half || (rest === half && head % 2n === 1n)) head += 1n;
  let digits = head.toString();
  let e = exp;
  if (digits.length > prec) {
    // 99999|5 rounded up to 100000: one more digit, one more power of ten.
    digits = digits.slice(0, prec);
    e += 1;
  }
  return { digits, exp: e };
}

/** Go's `%.<prec>g` of a float64 (calicoctl prints integer-valued ones: address counts). */
export function goFormatG(x: number, prec = 5): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + '0';
  let raw: string;
  let exp: number;
  if (Number.isInteger(x)) {
    // BigInt of an integral double is its exact value, so rounding sees every digit.
    ({ digits: raw, exp } = roundInteger(BigInt(Math.abs(x)), prec));
  } else {
    // Fractions never reach this command; toExponential differs from Go only on exact ties.
    const [m, e] = Math.abs(x)
      .toExponential(prec - 1)
      .split('e');
    raw = m.replace('.', '');
    exp = Number(e);
  }
  const digits = raw.replace(/0+$/, '') || '0';
  if (exp < -4 || exp >= prec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Go's `%.f` (precision 0): the nearest integer, exact ties to even. */
export function goFormatF0(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const neg = x < 0;
  const a = Math.abs(x);
  const f = Math.floor(a);
  const d = a - f; // exact for doubles below 2^52; larger ones are integers already
  const r = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return (neg ? '-' : '') + BigInt(r).toString();
}

/** `%.5g` of an address count, which Go converts to float64 first. */
export function formatCount(n: bigint | number): string {
  return goFormatG(Number(n));
}

/** `"%.5g (%.f%%)"` of a count and its share of `capacity` (NaN when the capacity is 0, as Go). */
export function formatCountWithPercent(n: bigint | number, capacity: bigint | number): string {
  const v = Number(n);
  return `${goFormatG(v)} (${goFormatF0((100 * v) / Number(capacity))}%)`;
}
