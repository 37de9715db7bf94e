/**
 * Random, truncated and mangled lines fed to every engine translator: nothing
 * throws (a session mismatch is the one deliberate error), and every event that
 * comes out is a valid takopi event.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EventFactory, TakopiEventSchema, type TakopiEvent } from "../../../src/core/events.js";
import type { EngineBackend } from "../../../src/engines/backend.js";
import { JsonlStream, SessionMismatchError } from "../../../src/engines/jsonl-stream.js";
import { engineBackend, ENGINE_IDS } from "../../support/engine-backends.js";
import { prng } from "../../support/prng.js";


/** Every recorded line we have, for every engine: the raw material for mutations. */
function recordedLines(engine: string): string[] {
  const dirs = [new URL("../../../../shared/fixtures/engines/", import.meta.url), new URL("../../fixtures/engines/", import.meta.url)];
  const lines: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // ../shared is not part of every checkout
    }
    for (const name of names.filter((n) => n.startsWith(`${engine}_`) && n.endsWith(".jsonl"))) {
      lines.push(...readFileSync(new URL(name, dir), "utf8").split("\n").filter((line) => line.trim() !== ""));
    }
  }
  return lines;
}

const KEYS = ["type", "id", "item", "message", "part", "state", "status", "session_id", "sessionID", "thread_id", "text", "content", "result", "error", "subtype", "is_error", "tool", "toolName", "toolCallId", "args", "input", "messages", "role", "stopReason", "changes", "path", "usage"];
const TYPES = ["thread.started", "turn.started", "turn.completed", "turn.failed", "item.started", "item.updated", "item.completed", "error", "system", "assistant", "user", "result", "step_start", "step_finish", "tool_use", "text", "reasoning", "session", "agent_start", "agent_end", "message_end", "tool_execution_start", "tool_execution_end", "auto_retry_start", "auto_retry_end", "init", "tool_result", "command_execution", "file_change", "agent_message"];

function randomValue(rand: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const r = rand();
  if (depth > 3 || r < 0.15) return pick([null, true, false, 0, -1, 1.5, 2 ** 53, "", "x", "ses_abc", "\u0000", "💥", pick(TYPES)]);
  if (r < 0.3) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = 0; i < 1 + Math.floor(rand() * 5); i++) out[pick(KEYS)] = randomValue(rand, depth + 1);
  if (rand() < 0.7) out.type = pick(TYPES);
  return out;
}

function mutate(line: string, rand: () => number): string {
  switch (Math.floor(rand() * 5)) {
    case 0: // truncated mid-line, as a killed engine leaves it
      return line.slice(0, Math.floor(rand() * line.length));
    case 1: {
      // a field's value swapped for something of another type
      const value = JSON.parse(line) as unknown;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record);
        const key = keys[Math.floor(rand() * keys.length)];
        if (key !== undefined) record[key] = randomValue(rand, 2);
      }
      return JSON.stringify(value);
    }
    case 2: {
      // a nested field deleted
      const value = JSON.parse(line) as unknown;
      const strip = (node: unknown): void => {
        if (node === null || typeof node !== "object") return;
        const record = node as Record<string, unknown>;
        for (const key of Object.keys(record)) {
          if (rand() < 0.2) Reflect.deleteProperty(record, key);
          else strip(record[key]);
        }
      };
      strip(value);
      return JSON.stringify(value);
    }
    case 3: // random bytes flipped
      // Code units on purpose: a flipped unit may split a surrogate pair, as a corrupted byte would.
      return Array.from({ length: line.length }, (_, i) => (rand() < 0.01 ? String.fromCharCode(Math.floor(rand() * 0x3000)) : line.charAt(i))).join("");
    default:
      return JSON.stringify(randomValue(rand, 0));
  }
}

/** The translator on its own, without the stream wrapper that would catch its throws. */
function translateDirectly(backend: EngineBackend, lines: string[]): void {
  const translator = backend.createTranslator({
    cwd: "/repo",
    resume: null,
    presetToken: null,
    title: null,
    meta: null,
    events: new EventFactory(backend.id),
    debug: () => undefined,
  });
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    translator.translate(value);
  }
  translator.finish({ exitCode: 1, signal: null, stderrTail: "boom" });
}

function drive(backend: EngineBackend, lines: string[], exitCode: number | null): TakopiEvent[] {
  const stream = new JsonlStream(backend, { cwd: "/repo", resume: null });
  const out: TakopiEvent[] = [];
  try {
    for (const line of lines) out.push(...stream.line(line));
    out.push(...stream.end({ exitCode, signal: exitCode === null ? "SIGTERM" : null, stderrTail: "" }));
  } catch (error) {
    // Two different sessions in one stream is refused on purpose, as upstream does.
    if (!(error instanceof SessionMismatchError)) throw error;
  }
  return out;
}

describe.each(ENGINE_IDS)("fuzzing the %s translator", (engine) => {
  it("never throws and only emits valid events", () => {
    const backend = engineBackend(engine);
    const recorded = recordedLines(engine);
    expect(recorded.length).toBeGreaterThan(0);
    for (let seed = 1; seed <= 150; seed++) {
      const rand = prng(seed * 7919);
      const lines = Array.from({ length: 30 }, () => {
        const base = recorded[Math.floor(rand() * recorded.length)] ?? "{}";
        return rand() < 0.3 ? base : mutate(base, rand);
      });
      expect(() => {
        translateDirectly(backend, lines);
      }, `seed ${seed}`).not.toThrow();
      const events = drive(backend, lines, rand() < 0.5 ? 0 : rand() < 0.5 ? 1 : null);
      for (const event of events) {
        const parsed = TakopiEventSchema.safeParse(event);
        expect(parsed.success, `seed ${seed}: ${JSON.stringify(event).slice(0, 300)}`).toBe(true);
      }
      const completed = events.filter((event) => event.type === "completed");
      expect(completed.length, `seed ${seed}`).toBeLessThanOrEqual(1);
    }
  });

  it("survives every prefix of every recorded stream (a run killed at any byte)", () => {
    const backend = engineBackend(engine);
    const text = recordedLines(engine).slice(0, 40).join("\n");
    const step = Math.max(1, Math.floor(text.length / 400));
    for (let cut = 0; cut <= text.length; cut += step) {
      const events = drive(backend, text.slice(0, cut).split("\n"), null);
      expect(events.at(-1)?.type, `cut at ${cut}`).toBe("completed");
    }
  });
});
