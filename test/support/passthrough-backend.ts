/**
 * A minimal engine for runner tests: each stdout line is already a small
 * event description, so tests control exactly what the "engine" says.
 *
 *   {"type":"started","id":"s1"}  {"type":"action","id":"a","title":"x"}
 *   {"type":"completed","answer":"…","ok":true}   (an optional "usage" object is passed on raw)
 */
import * as z from "zod";
import type { EngineBackend, EngineTranslator, TranslatorContext } from "../../src/engines/backend.js";
import { failedExitEvents } from "../../src/engines/backend.js";
import { resumeCodec } from "../../src/engines/resume-lines.js";

const Line = z.discriminatedUnion("type", [
  z.object({ type: z.literal("started"), id: z.string() }),
  z.object({ type: z.literal("action"), id: z.string(), title: z.string().default("step") }),
  z.object({ type: z.literal("completed"), answer: z.string().default(""), ok: z.boolean().default(true), usage: z.record(z.string(), z.unknown()).optional() }),
  z.object({ type: z.literal("echo_stdin"), text: z.string() }),
]);

function translator(context: TranslatorContext): EngineTranslator {
  return {
    translate(value) {
      const parsed = Line.safeParse(value);
      if (!parsed.success) return [];
      const line = parsed.data;
      switch (line.type) {
        case "started":
          return [context.events.started({ engine: "passthrough", value: line.id }, "passthrough")];
        case "action":
          return [context.events.action({ id: line.id, kind: "command", title: line.title, phase: "completed", ok: true })];
        case "completed":
          return [context.events.completed({ ok: line.ok, answer: line.answer, usage: line.usage ?? null })];
        case "echo_stdin":
          return [context.events.completed({ ok: true, answer: line.text })];
      }
    },
    finish(exit) {
      if (exit.exitCode !== 0) return failedExitEvents(context.events, "passthrough", exit);
      return [context.events.completed({ ok: false, error: "passthrough finished without a result event" })];
    },
  };
}

export interface PassthroughConfig {
  args: string[];
}

export const passthroughBackend: EngineBackend<PassthroughConfig> = {
  id: "passthrough",
  cliCommand: "passthrough-engine",
  installHint: "write a test script",
  configSchema: z.object({ args: z.array(z.string()).default([]) }),
  stderrNoise: [/^NOISE:/],
  prepareRun(request, config, env) {
    return {
      invocation: {
        command: "passthrough-engine",
        args: [...config.args, ...(request.resume ? ["--resume", request.resume.value] : [])],
        stdin: request.prompt,
        env,
      },
      translatorContext: { presetToken: null },
    };
  },
  createTranslator: translator,
  ...resumeCodec({
    engine: "passthrough",
    format: (value) => `passthrough resume ${value}`,
    pattern: /^\s*`?passthrough\s+resume\s+(?<token>[^`\s]+)`?\s*$/,
  }),
};
