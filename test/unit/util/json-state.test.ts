import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { JsonStateFile, serializeState, StateFileError } from "../../../src/util/json-state.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

const CounterSchema = z.looseObject({
  version: z.literal(1),
  count: z.number().int(),
  items: z.record(z.string(), z.string()).default({}),
});
type Counter = z.infer<typeof CounterSchema>;

interface LogLine {
  level: number;
  msg: string;
  path?: string;
  moved_to?: string;
  reason?: string;
}

function capturingLogger(): { log: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: "debug", base: null }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

const WARN = 40;

let dir: ScratchDir;
beforeEach(async () => {
  dir = await scratchDir("takopi-json-state-");
});
afterEach(async () => {
  vi.useRealTimers();
  await dir.dispose();
});

function counterFile(path = join(dir.path, "state.json"), log?: pino.Logger): JsonStateFile<Counter> {
  return new JsonStateFile({ path, version: 1, schema: CounterSchema, empty: () => ({ version: 1, count: 0, items: {} }), ...(log ? { log } : {}) });
}

function filesIn(path: string): string[] {
  return readdirSync(path).sort();
}

describe("JsonStateFile", () => {
  it("reads a missing file as empty state and creates nothing until an update changes something", async () => {
    const file = counterFile();
    expect(await file.read()).toEqual({ version: 1, count: 0, items: {} });
    await file.update(() => undefined);
    await file.update((state) => {
      state.count = 0;
    });
    expect(filesIn(dir.path)).toEqual([]);
    await file.update((state) => {
      state.count = 1;
    });
    expect(filesIn(dir.path)).toEqual(["state.json"]);
  });

  it("round-trips through the file: sorted keys, indent 2, trailing newline", async () => {
    const file = counterFile();
    await file.update((state) => {
      state.items = { b: "2", "10": "ten", "-5": "minus five", a: "1" };
      state.count = 3;
    });
    const text = readFileSync(file.path, "utf8");
    // Integer-like keys sort as strings, the way Python's sort_keys does.
    expect(text).toBe('{\n  "count": 3,\n  "items": {\n    "-5": "minus five",\n    "10": "ten",\n    "a": "1",\n    "b": "2"\n  },\n  "version": 1\n}\n');
    expect(await counterFile().read()).toEqual({ version: 1, count: 3, items: { "-5": "minus five", "10": "ten", a: "1", b: "2" } });
  });

  it("serializes like Python json.dumps(indent=2, sort_keys=True) for empty containers, arrays and nulls", () => {
    expect(serializeState({ z: [], y: {}, x: [1, { b: null, a: "é" }] })).toBe(
      '{\n  "x": [\n    1,\n    {\n      "a": "é",\n      "b": null\n    }\n  ],\n  "y": {},\n  "z": []\n}\n',
    );
  });

  it("hands out copies: mutating a read result changes neither the store nor the file", async () => {
    const file = counterFile();
    await file.update((state) => {
      state.count = 1;
    });
    const snapshot = await file.read();
    snapshot.count = 99;
    expect((await file.read()).count).toBe(1);
  });

  it("returns the value the change function returns", async () => {
    const file = counterFile();
    const previous = await file.update((state) => {
      const before = state.count;
      state.count += 5;
      return before;
    });
    expect(previous).toBe(0);
  });

  it("loses no write when many updates race, and leaves no temp file behind", async () => {
    const file = counterFile();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        file.update((state) => {
          state.count += 1;
          state.items[`k${i}`] = String(i);
        }),
      ),
    );
    expect((await counterFile().read()).count).toBe(200);
    expect(Object.keys((await counterFile().read()).items)).toHaveLength(200);
    expect(filesIn(dir.path)).toEqual(["state.json"]);
  });

  it("serializes updates across two stores on the same file in one process", async () => {
    const a = counterFile();
    const b = counterFile();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a : b).update((state) => {
          state.count += 1;
        }),
      ),
    );
    expect((await a.read()).count).toBe(50);
    expect((await b.read()).count).toBe(50);
  });

  it("lets reads issued together share one look at the file, never one queued before an update", async () => {
    const a = counterFile();
    const b = counterFile();
    await a.update((state) => {
      state.count = 1;
    });
    const [x, y] = await Promise.all([a.read(), a.read()]);
    expect([x.count, y.count]).toEqual([1, 1]);
    expect(x).not.toBe(y);

    const before = a.read();
    const byOther = b.update((state) => {
      state.count = 2;
    });
    const afterOther = a.read();
    const byItself = a.update((state) => {
      state.count = 3;
    });
    const afterItself = a.read();
    await Promise.all([byOther, byItself]);
    expect([(await before).count, (await afterOther).count, (await afterItself).count]).toEqual([1, 2, 3]);
  });

  it("the file is parseable at every moment while updates run", async () => {
    const file = counterFile();
    await file.update((state) => {
      state.count = 1;
    });
    let done = false;
    const updates = Promise.all(
      Array.from({ length: 100 }, () =>
        file.update((state) => {
          state.count += 1;
          state.items[String(state.count)] = "x".repeat(state.count * 10);
        }),
      ),
    ).finally(() => {
      done = true;
    });
    let reads = 0;
    while (!done) {
      const parsed = CounterSchema.parse(JSON.parse(readFileSync(file.path, "utf8")));
      expect(parsed.count).toBeGreaterThanOrEqual(1);
      reads += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await updates;
    expect(reads).toBeGreaterThan(1);
    expect((await file.read()).count).toBe(101);
  });

  it("picks up an external edit, including one in place with the same size", async () => {
    const file = counterFile();
    await file.update((state) => {
      state.count = 1;
    });
    writeFileSync(file.path, serializeState({ version: 1, count: 42, items: {} }));
    expect((await file.read()).count).toBe(42);

    // Same length, new mtime: an editor that rewrites in place.
    writeFileSync(file.path, serializeState({ version: 1, count: 43, items: {} }));
    const later = new Date(statSync(file.path).mtimeMs + 5_000);
    utimesSync(file.path, later, later);
    expect((await file.read()).count).toBe(43);

    await file.update((state) => {
      state.count += 1;
    });
    expect(JSON.parse(readFileSync(file.path, "utf8"))).toMatchObject({ count: 44 });
  });

  it.each([
    ["not JSON", "{ this is not json", /not valid JSON/],
    ["the wrong shape", '{"version": 1, "count": "three"}\n', /expected shape.*count/],
    ["another version", '{"version": 2, "count": 7, "new_field": true}\n', /version 2, this takopi reads version 1/],
    ["not an object", "[1, 2, 3]\n", /expected shape/],
  ])("sets aside a file that is %s, keeping its bytes, warns once and starts empty", async (_name, original, reason) => {
    const { log, lines } = capturingLogger();
    const path = await dir.file("state.json", original);
    const file = counterFile(path, log);

    expect(await file.read()).toEqual({ version: 1, count: 0, items: {} });
    const names = filesIn(dir.path);
    expect(names).toHaveLength(1);
    const aside = names[0] ?? "";
    expect(aside).toMatch(/^state\.json\.corrupt-\d{8}T\d{6}\.\d{3}Z$/);
    expect(readFileSync(join(dir.path, aside), "utf8")).toBe(original);

    const warnings = lines.filter((line) => line.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.path).toBe(path);
    expect(warnings[0]?.moved_to).toBe(join(dir.path, aside));
    expect(warnings[0]?.reason).toMatch(reason);
    expect(warnings[0]?.msg).toContain(join(dir.path, aside));

    await file.update((state) => {
      state.count = 1;
    });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ version: 1, count: 1, items: {} });
    expect(readFileSync(join(dir.path, aside), "utf8")).toBe(original);
    expect(lines.filter((line) => line.level === WARN)).toHaveLength(1);
  });

  it("never overwrites an earlier set-aside file, even within the same millisecond", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-04T05:06:07.089Z"));
    const path = join(dir.path, "state.json");
    writeFileSync(path, "first broken");
    await counterFile(path).read();
    writeFileSync(path, "second broken");
    await counterFile(path).read();
    writeFileSync(path, "third broken");
    await counterFile(path).read();
    expect(filesIn(dir.path)).toEqual(["state.json.corrupt-20260304T050607.089Z", "state.json.corrupt-20260304T050607.089Z-1", "state.json.corrupt-20260304T050607.089Z-2"]);
    expect(readFileSync(`${path}.corrupt-20260304T050607.089Z`, "utf8")).toBe("first broken");
    expect(readFileSync(`${path}.corrupt-20260304T050607.089Z-2`, "utf8")).toBe("third broken");
  });

  it("a file that goes bad while running is set aside on the next access", async () => {
    const file = counterFile();
    await file.update((state) => {
      state.count = 5;
    });
    writeFileSync(file.path, '{"version": 1, "count": 5, ');
    expect((await file.read()).count).toBe(0);
    expect(filesIn(dir.path).filter((name) => name.includes(".corrupt-"))).toHaveLength(1);
  });

  it("rejects a save that fails with a message naming the file, and keeps the last good state", async () => {
    const { log, lines } = capturingLogger();
    const file = counterFile(join(dir.path, "no-such-dir", "state.json"), log);
    const failed = file.update((state) => {
      state.count = 1;
    });
    await expect(failed).rejects.toBeInstanceOf(StateFileError);
    await expect(failed).rejects.toThrow(/cannot save .*no-such-dir\/state\.json: ENOENT/);
    expect((await file.read()).count).toBe(0);
    expect(lines.some((line) => line.level === 50 && line.path === file.path)).toBe(true);
  });

  it("does not write over a path it cannot read, and says so", async () => {
    const { log, lines } = capturingLogger();
    const path = join(dir.path, "state.json");
    mkdirSync(path); // a directory where the file should be: unreadable as a file
    const file = counterFile(path, log);
    expect((await file.read()).count).toBe(0);
    await expect(
      file.update((state) => {
        state.count = 1;
      }),
    ).rejects.toThrow(/cannot read .*state\.json/);
    expect(statSync(path).isDirectory()).toBe(true);
    expect(lines.filter((line) => line.level === WARN)).toHaveLength(1);
  });

  it("refuses to save a state its own schema would reject", async () => {
    const file = counterFile();
    await expect(
      file.update((state) => {
        (state as { count: unknown }).count = "many";
      }),
    ).rejects.toThrow(/refusing to save .*count/);
    expect(filesIn(dir.path)).toEqual([]);
  });
});
