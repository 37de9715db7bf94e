/**
 * Splits a byte stream into lines with bounded memory.
 *
 * Engines print one JSON object per line, and some lines are huge (pi repeats
 * the whole partial message in every `message_update`; a tool can dump
 * megabytes). We keep at most `maxLineBytes` of one line; a longer line is
 * skipped to its newline and reported, so neither a 10 MB line nor a 1 GB
 * stream can grow memory beyond the limit plus one chunk.
 */

export type LineItem = { type: "line"; text: string } | { type: "oversized"; bytes: number };

/** Default per-line limit: far above any real event, far below trouble. */
export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;

const NEWLINE = 0x0a;

export async function* splitLines(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<LineItem> {
  for await (const batch of splitLineBatches(source, maxLineBytes)) yield* batch;
}

/**
 * {@link splitLines}, a chunk's worth of lines at a time: the lines each
 * chunk completes, in one array. A busy engine's chunk holds hundreds of
 * lines, and handing them over one `await` at a time costs more than
 * translating them.
 */
export async function* splitLineBatches(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<LineItem[]> {
  let parts: Buffer[] = [];
  let size = 0;
  /** Bytes of the current line dropped so far (only when over the limit). */
  let skipped = 0;

  for await (const chunk of source) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const batch: LineItem[] = [];
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(NEWLINE, start);
      const end = nl === -1 ? buf.length : nl;
      if (skipped > 0) {
        skipped += end - start;
      } else if (size + (end - start) > maxLineBytes) {
        skipped = size + (end - start);
        parts = [];
        size = 0;
      } else if (nl !== -1 && size === 0) {
        // A whole line inside this chunk: decoded straight from it, no copy.
        batch.push({ type: "line", text: buf.toString("utf8", start, end) });
        start = nl + 1;
        continue;
      } else if (end > start) {
        // Copy: the chunk's memory may be reused by the stream once it is handed back.
        parts.push(Buffer.from(buf.subarray(start, end)));
        size += end - start;
      }
      if (nl === -1) break;
      if (skipped > 0) {
        batch.push({ type: "oversized", bytes: skipped });
        skipped = 0;
      } else {
        batch.push({ type: "line", text: decode(parts, size) });
        parts = [];
        size = 0;
      }
      start = nl + 1;
    }
    if (batch.length > 0) yield batch;
  }
  if (skipped > 0) yield [{ type: "oversized", bytes: skipped }];
  else if (size > 0) yield [{ type: "line", text: decode(parts, size) }];
}

function decode(parts: Buffer[], size: number): string {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0].toString("utf8");
  return Buffer.concat(parts, size).toString("utf8");
}

/**
 * Keeps the last `limit` bytes written to it (engine stderr): enough to explain
 * a failure, never a memory problem however chatty the CLI is.
 */
export class TailBuffer {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (buf.length >= this.#limit) {
      this.#chunks = [Buffer.from(buf.subarray(buf.length - this.#limit))];
      this.#size = this.#limit;
      return;
    }
    this.#chunks.push(Buffer.from(buf));
    this.#size += buf.length;
    while (this.#size > this.#limit && this.#chunks.length > 1) {
      const first = this.#chunks[0];
      if (first === undefined) break;
      const excess = this.#size - this.#limit;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  text(): string {
    // A cut may land inside a multi-byte character; the decoder replaces it.
    return Buffer.concat(this.#chunks, this.#size).toString("utf8");
  }
}
