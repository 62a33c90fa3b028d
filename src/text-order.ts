/**
 * String order as Python's: by code point. JS's `<` and default sort compare UTF-16 units,
 * which put a character above U+FFFF (a surrogate pair) before U+E000–U+FFFF. Its own module
 * so that the stores and the YAML writer sort keys without loading the search modules.
 */

/** Compares strings by code point, as Python does (JS `<` compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (part of a character above U+FFFF) must sort after U+E000–U+FFFF
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
