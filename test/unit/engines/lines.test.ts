import { describe, expect, it } from "vitest";
import { splitLines, TailBuffer, type LineItem } from "../../../src/engines/lines.js";

async function collect(chunks: (string | Buffer)[], limit?: number): Promise<LineItem[]> {
  const out: LineItem[] = [];
  for await (const item of splitLines(chunks, limit)) out.push(item);
  return out;
}

describe("splitLines", () => {
  it("splits across chunk boundaries and keeps a last line without newline", async () => {
    expect(await collect(['{"a":', '1}\n{"b"', ":2}\n\n", "tail"])).toEqual([
      { type: "line", text: '{"a":1}' },
      { type: "line", text: '{"b":2}' },
      { type: "line", text: "" },
      { type: "line", text: "tail" },
    ]);
  });

  it("keeps a multi-byte character split between chunks intact", async () => {
    const bytes = Buffer.from("héllo 💥\n");
    const items = await collect([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)]);
    expect(items).toEqual([{ type: "line", text: "héllo 💥" }]);
  });

  it("skips a line over the limit without buffering it, and goes on", async () => {
    const big = "x".repeat(5000);
    const items = await collect(["ok1\n", big.slice(0, 3000), big.slice(3000), "\nok2\n", big], 1024);
    expect(items).toEqual([
      { type: "line", text: "ok1" },
      { type: "oversized", bytes: 5000 },
      { type: "line", text: "ok2" },
      { type: "oversized", bytes: 5000 },
    ]);
  });

  it("reads a 10 MB line whole under the default limit", async () => {
    const line = JSON.stringify({ type: "x", text: "y".repeat(10 * 1024 * 1024) });
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(`${line}\n`);
    for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
    const items = await collect(chunks);
    expect(items).toHaveLength(1);
    expect(items[0]?.type === "line" ? items[0].text.length : 0).toBe(line.length);
  });
});

describe("TailBuffer", () => {
  it("keeps only the last bytes", () => {
    const tail = new TailBuffer(10);
    tail.push("0123456789abc");
    expect(tail.text()).toBe("3456789abc");
    tail.push("de");
    expect(tail.text()).toBe("56789abcde");
    for (let i = 0; i < 1000; i++) tail.push("zz");
    expect(tail.text()).toBe("zzzzzzzzzz");
  });
});
