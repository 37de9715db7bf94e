/**
 * A small zip writer for `/file get <directory>`: deflated entries, UTF-8
 * names, built in memory and given up as soon as the archive would pass
 * `maxBytes` (Telegram takes at most 50 MB from a bot, so a bigger archive is
 * useless). Each file is streamed through deflate, so a huge file costs at
 * most `maxBytes` of memory before the writer gives up. No zip64: the size
 * cap keeps every offset far below 4 GiB.
 */
import { createReadStream } from "node:fs";
import { createDeflateRaw, crc32, deflateRawSync } from "node:zlib";

/** The archive would pass its size limit. */
export class ZipTooLargeError extends Error {
  override readonly name = "ZipTooLargeError";
  constructor(maxBytes: number) {
    super(`the archive would be larger than ${maxBytes} bytes`);
  }
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** General purpose flag bit 11: the name is UTF-8. */
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
/** 2.0: deflate. */
const VERSION = 20;
/** "Made by" Unix, so the external attributes carry a file mode. */
const MADE_BY_UNIX = (3 << 8) | VERSION;
/** The 16-bit entry count of the end record. */
const MAX_ENTRIES = 0xffff;

interface Entry {
  name: Buffer;
  crc: number;
  compressedSize: number;
  size: number;
  modified: Date;
  mode: number;
  offset: number;
}

export class ZipWriter {
  readonly #maxBytes: number;
  readonly #chunks: Buffer[] = [];
  readonly #entries: Entry[] = [];
  #length = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Adds the file at `path` as `name` (`/`-separated). Throws ZipTooLargeError past the limit. */
  async addFile(name: string, path: string, info: { modified: Date; mode: number }): Promise<void> {
    const budget = this.#budgetFor(name);
    const compressed: Buffer[] = [];
    let compressedSize = 0;
    let size = 0;
    let crc = 0;
    const source = createReadStream(path);
    const deflate = createDeflateRaw();
    source.on("data", (chunk) => {
      const data = chunk as Buffer;
      size += data.length;
      crc = crc32(data, crc);
    });
    source.on("error", (error) => deflate.destroy(error));
    source.pipe(deflate);
    try {
      for await (const chunk of deflate) {
        const data = chunk as Buffer;
        compressedSize += data.length;
        if (compressedSize > budget) throw new ZipTooLargeError(this.#maxBytes);
        compressed.push(data);
      }
    } finally {
      source.destroy();
      deflate.destroy();
    }
    this.#append({ name: Buffer.from(name, "utf8"), crc, compressedSize, size, modified: info.modified, mode: info.mode }, compressed);
  }

  /** Adds `data` as `name`. Throws ZipTooLargeError past the limit. */
  addBuffer(name: string, data: Buffer, info: { modified: Date; mode: number } = { modified: new Date(), mode: 0o644 }): void {
    const budget = this.#budgetFor(name);
    const compressed = deflateRawSync(data);
    if (compressed.length > budget) throw new ZipTooLargeError(this.#maxBytes);
    const entry = { name: Buffer.from(name, "utf8"), crc: crc32(data), compressedSize: compressed.length, size: data.length, ...info };
    this.#append(entry, [compressed]);
  }

  /** The finished archive. */
  finish(): Buffer {
    const centralStart = this.#length;
    const central = this.#entries.map((entry) => centralHeader(entry));
    const centralSize = central.reduce((sum, header) => sum + header.length, 0);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
    end.writeUInt16LE(this.#entries.length, 8);
    end.writeUInt16LE(this.#entries.length, 10);
    end.writeUInt32LE(centralSize, 12);
    end.writeUInt32LE(centralStart, 16);
    const total = centralStart + centralSize + end.length;
    if (total > this.#maxBytes) throw new ZipTooLargeError(this.#maxBytes);
    return Buffer.concat([...this.#chunks, ...central, end], total);
  }

  /** How many compressed bytes the next entry may take, counting its headers and the end record. */
  #budgetFor(name: string): number {
    if (this.#entries.length >= MAX_ENTRIES) throw new ZipTooLargeError(this.#maxBytes);
    const nameLength = Buffer.byteLength(name, "utf8");
    const overhead = 30 + nameLength + 46 + nameLength + this.#centralSize() + 22;
    const budget = this.#maxBytes - this.#length - overhead;
    if (budget < 0) throw new ZipTooLargeError(this.#maxBytes);
    return budget;
  }

  #centralSize(): number {
    return this.#entries.reduce((sum, entry) => sum + 46 + entry.name.length, 0);
  }

  #append(fields: Omit<Entry, "offset">, compressed: readonly Buffer[]): void {
    const entry: Entry = { ...fields, offset: this.#length };
    const header = localHeader(entry);
    this.#chunks.push(header, ...compressed);
    this.#length += header.length + entry.compressedSize;
    this.#entries.push(entry);
  }
}

function localHeader(entry: Entry): Buffer {
  const header = Buffer.alloc(30 + entry.name.length);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(UTF8_NAMES, 6);
  header.writeUInt16LE(DEFLATE, 8);
  writeDosTime(header, 10, entry.modified);
  header.writeUInt32LE(entry.crc >>> 0, 14);
  header.writeUInt32LE(entry.compressedSize, 18);
  header.writeUInt32LE(entry.size, 22);
  header.writeUInt16LE(entry.name.length, 26);
  entry.name.copy(header, 30);
  return header;
}

function centralHeader(entry: Entry): Buffer {
  const header = Buffer.alloc(46 + entry.name.length);
  header.writeUInt32LE(CENTRAL_HEADER, 0);
  header.writeUInt16LE(MADE_BY_UNIX, 4);
  header.writeUInt16LE(VERSION, 6);
  header.writeUInt16LE(UTF8_NAMES, 8);
  header.writeUInt16LE(DEFLATE, 10);
  writeDosTime(header, 12, entry.modified);
  header.writeUInt32LE(entry.crc >>> 0, 16);
  header.writeUInt32LE(entry.compressedSize, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  // Regular file with its permission bits, in the high half of the external attributes.
  header.writeUInt32LE(((0o100000 | (entry.mode & 0o777)) << 16) >>> 0, 38);
  header.writeUInt32LE(entry.offset, 42);
  entry.name.copy(header, 46);
  return header;
}

/** MS-DOS time and date (local time, 2-second steps, years 1980–2107). */
function writeDosTime(buffer: Buffer, offset: number, date: Date): void {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2);
  const day = ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  buffer.writeUInt16LE(time, offset);
  buffer.writeUInt16LE(day, offset + 2);
}
