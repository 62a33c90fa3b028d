/**
 * Reads back a ZIP the viewer sent, from its central directory (written from PKWARE's
 * APPNOTE, not from src/server/zip.ts): each entry's name, method, sizes and bytes, its
 * CRC-32 checked, and the local header checked against the central one.
 */
import { crc32 } from 'node:zlib';

export interface ReadEntry {
  name: string;
  data: Buffer;
}

export function readZip(buf: Buffer): ReadEntry[] {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd !== buf.length - 22) throw new Error('no end of central directory record at the end');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  let p = buf.readUInt32LE(eocd + 16);
  if (p + cdSize !== eocd) throw new Error('the central directory does not end where the end record starts');
  const out: ReadEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`entry ${i}: bad central header signature`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const n = buf.readUInt16LE(p + 28);
    const m = buf.readUInt16LE(p + 30);
    const k = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + n).toString('utf8');
    p += 46 + n + m + k;
    if (method !== 0) throw new Error(`${name}: method ${method}, not stored`);
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${name}: bad local header signature`);
    if (buf.readUInt32LE(local + 14) !== crc || buf.readUInt32LE(local + 18) !== csize) throw new Error(`${name}: local header differs`);
    const ln = buf.readUInt16LE(local + 26);
    const lm = buf.readUInt16LE(local + 28);
    if (buf.subarray(local + 30, local + 30 + ln).toString('utf8') !== name) throw new Error(`${name}: local name differs`);
    const data = buf.subarray(local + 30 + ln + lm, local + 30 + ln + lm + csize);
    if (csize !== usize) throw new Error(`${name}: stored with sizes ${csize} and ${usize}`);
    if (crc32(data) >>> 0 !== crc) throw new Error(`${name}: CRC-32 mismatch`);
    out.push({ name, data: Buffer.from(data) });
  }
  return out;
}
