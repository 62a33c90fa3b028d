/**
 * Python's `repr(float(v))` in TypeScript: the spelling MLflow writes into metric files.
 *
 * Both languages print the shortest digit string that round-trips, so only the layout
 * differs: Python uses exponent form when the decimal exponent is < -4 or >= 16, always
 * writes a sign and at least two exponent digits (`1e-05`, `1e+16`), and keeps `.0` on
 * integral values (`5.0`, `1000000000000000.0`). Specials are `nan`, `inf`, `-inf`.
 */
export function formatPyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const neg = v < 0;
  // toExponential() without an argument gives the shortest round-tripping digits.
  const exp = Math.abs(v).toExponential();
  const eAt = exp.indexOf('e');
  const mantissa = exp.slice(0, eAt);
  const e = Number(exp.slice(eAt + 1));
  const digits = mantissa.replace('.', '');
  let out: string;
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const absE = Math.abs(e);
    out = `${m}e${e < 0 ? '-' : '+'}${absE < 10 ? '0' : ''}${absE}`;
  } else if (e < 0) {
    out = `0.${'0'.repeat(-e - 1)}${digits}`;
  } else if (digits.length <= e + 1) {
    out = `${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  }
  return neg ? `-${out}` : out;
}
