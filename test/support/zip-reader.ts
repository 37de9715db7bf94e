/**
 * Reads a zip archive back into names and bytes (node:zlib, no library), so
 * tests can check what `/file get <dir>` sent. Follows the central directory
 * as unzip does, checks each local header against it and each entry's CRC.
 */
import { crc32, inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix permission bits from the external attributes (0 when not made on Unix). */
  mode: number;
}

export function readZip(archive: Buffer): ZipEntry[] {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error("zip: no end of central directory record");
  const count = archive.readUInt16LE(end + 10);
  const centralSize = archive.readUInt32LE(end + 12);
  let offset = archive.readUInt32LE(end + 16);
  if (offset + centralSize !== end) throw new Error("zip: central directory does not end where the end record starts");
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    if (archive.readUInt32LE(offset) !== 0x02014b50) throw new Error(`zip: bad central header ${i}`);
    const flags = archive.readUInt16LE(offset + 8);
    const method = archive.readUInt16LE(offset + 10);
    const crc = archive.readUInt32LE(offset + 16);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const size = archive.readUInt32LE(offset + 24);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const madeBy = archive.readUInt16LE(offset + 4) >> 8;
    const external = archive.readUInt32LE(offset + 38);
    const local = archive.readUInt32LE(offset + 42);
    const name = archive.subarray(offset + 46, offset + 46 + nameLength).toString((flags & 0x0800) !== 0 ? "utf8" : "latin1");
    if (archive.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: bad local header for ${name}`);
    const localName = archive.subarray(local + 30, local + 30 + archive.readUInt16LE(local + 26)).toString("utf8");
    if (localName !== name) throw new Error(`zip: local name ${localName} differs from central name ${name}`);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const raw = archive.subarray(start, start + compressedSize);
    const data = method === 8 ? inflateRawSync(raw) : method === 0 ? Buffer.from(raw) : null;
    if (data === null) throw new Error(`zip: ${name} uses method ${method}`);
    if (data.length !== size) throw new Error(`zip: ${name} is ${data.length} bytes, the header says ${size}`);
    if (crc32(data) !== crc) throw new Error(`zip: ${name} fails its CRC`);
    entries.push({ name, data, mode: madeBy === 3 ? (external >>> 16) & 0o777 : 0 });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
