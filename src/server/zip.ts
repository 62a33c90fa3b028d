/**
 * A minimal ZIP writer for the viewer's "download folder": files are stored (no compression —
 * artifacts are mostly checkpoints and images that do not shrink), so every size is known
 * before the first byte is sent and the answer carries a Content-Length. Each file is read
 * twice when it is large (once for its CRC-32, once to send it) and once when it is small;
 * nothing is held in memory beyond one small file. Plain ZIP (no ZIP64): a folder of 4 GiB
 * or more, or of 65,535 files or more, is refused before anything is sent.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { UsageError } from '../errors.js';

export interface ZipEntry {
  /** the name inside the archive, `/`-separated; a folder's ends with `/` */
  name: string;
  /** the file on disk (undefined for a folder) */
  full?: string;
  size: number;
  mtime: Date;
}

/** Files read into memory once (CRC and bytes from the same read); larger ones are read twice. */
const SMALL = 8 * 1024 * 1024;
const LIMIT = 0xffffffff;

/**
 * Every regular file below `dir` (names relative to it, prefixed by `prefix`), sorted; empty
 * folders as folder entries. Symbolic links are left out: a link could point outside the run.
 */
export async function zipEntries(dir: string, prefix: string): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await fsp.readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (names.length === 0 && rel !== '') {
      const st = await fsp.stat(abs);
      out.push({ name: `${prefix}${rel}/`, size: 0, mtime: st.mtime });
    }
    for (const d of names) {
      const full = path.join(abs, d.name);
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) await walk(full, r);
      else if (d.isFile()) {
        const st = await fsp.stat(full);
        out.push({ name: `${prefix}${r}`, full, size: st.size, mtime: st.mtime });
      }
    }
  };
  await walk(dir, '');
  return out;
}

/** The archive's length in bytes for these entries; throws UsageError when it needs ZIP64. */
export function zipSize(entries: readonly ZipEntry[]): number {
  if (entries.length >= 0xffff) throw new UsageError(`the folder has ${entries.length} files: too many for one zip; use mlr artifacts download`);
  let local = 0;
  let central = 0;
  for (const e of entries) {
    const n = Buffer.byteLength(e.name, 'utf8');
    local += 30 + n + e.size;
    central += 46 + n;
  }
  const total = local + central + 22;
  if (total >= LIMIT) throw new UsageError(`the folder holds ${(total / 2 ** 30).toFixed(1)} GiB: too large for one zip; use mlr artifacts download`);
  return total;
}

/** MS-DOS date and time (local time, 2-second resolution, from 1980). */
function dosTime(d: Date): { time: number; date: number } {
  const y = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

function write(out: Writable, b: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) {
      reject(new Error('the client went away'));
      return;
    }
    if (out.write(b)) resolve();
    else {
      const onDrain = (): void => {
        out.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        out.off('drain', onDrain);
        reject(new Error('the client went away'));
      };
      out.once('drain', onDrain);
      out.once('close', onClose);
    }
  });
}

async function fileCrc(full: string, size: number): Promise<number> {
  let c = 0;
  let seen = 0;
  for await (const chunk of createReadStream(full, { end: Math.max(0, size - 1) })) {
    if (size === 0) break;
    c = crc32(chunk as Buffer, c);
    seen += (chunk as Buffer).length;
  }
  if (seen !== size) throw new Error(`${full} changed while it was zipped`);
  return c;
}

/** Writes the archive of `entries` to `out` (not ended). */
export async function writeZip(out: Writable, entries: readonly ZipEntry[]): Promise<void> {
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const { time, date } = dosTime(e.mtime);
    let data: Buffer | undefined;
    let crc = 0;
    if (e.full !== undefined && e.size <= SMALL) {
      data = await fsp.readFile(e.full);
      if (data.length !== e.size) throw new Error(`${e.full} changed while it was zipped`);
      crc = crc32(data);
    } else if (e.full !== undefined) crc = await fileCrc(e.full, e.size);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4); // version needed: 2.0
    head.writeUInt16LE(0x0800, 6); // names in UTF-8
    head.writeUInt16LE(0, 8); // stored
    head.writeUInt16LE(time, 10);
    head.writeUInt16LE(date, 12);
    head.writeUInt32LE(crc >>> 0, 14);
    head.writeUInt32LE(e.size, 18);
    head.writeUInt32LE(e.size, 22);
    head.writeUInt16LE(name.length, 26);
    head.writeUInt16LE(0, 28);
    await write(out, Buffer.concat([head, name]));
    if (data) await write(out, data);
    else if (e.full !== undefined && e.size > 0) {
      let sent = 0;
      for await (const chunk of createReadStream(e.full, { start: 0, end: e.size - 1 })) {
        sent += (chunk as Buffer).length;
        await write(out, chunk as Buffer);
      }
      if (sent !== e.size) throw new Error(`${e.full} changed while it was zipped`);
    }
    const dir = e.full === undefined;
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(0, 10);
    c.writeUInt16LE(time, 12);
    c.writeUInt16LE(date, 14);
    c.writeUInt32LE(crc >>> 0, 16);
    c.writeUInt32LE(e.size, 20);
    c.writeUInt32LE(e.size, 24);
    c.writeUInt16LE(name.length, 28);
    // extra, comment, disk: 0; internal attributes 0; external: Unix mode (and MS-DOS's folder bit)
    c.writeUInt32LE((((dir ? 0o040755 : 0o100644) << 16) | (dir ? 0x10 : 0)) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + e.size;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  await write(out, Buffer.concat([cd, end]));
}
