// One-line summaries of an engine's JSONL stdout, e.g.
// `session, agent_start, turn_start, message_start[user], message_update(text_delta)×2, …`.
// Used for the fixture README and handy in test failure messages.
import type { Engine } from "./engine-env.js";

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : "?";
}

function contentTypes(message: Json): string {
  const content = message.content;
  if (!Array.isArray(content)) return typeof content === "string" ? "text" : "";
  return content.map((block) => str(obj(block).type)).join(",");
}

/** A short label for one event line. */
export function eventLabel(engine: Engine, event: Json): string {
  const type = str(event.type);
  switch (engine) {
    case "codex":
      return type.startsWith("item.") ? `${type}(${str(obj(event.item).type)})` : type;
    case "claude":
      if (type === "system") return `system/${str(event.subtype)}`;
      if (type === "result") return `result/${str(event.subtype)}${event.is_error === true ? "(is_error)" : ""}`;
      if (type === "assistant" || type === "user") return `${type}[${contentTypes(obj(event.message))}]`;
      if (type === "stream_event") return `stream_event(${str(obj(event.event).type)})`;
      return type;
    case "opencode":
      if (type === "step_finish") return `step_finish(${str(obj(event.part).reason)})`;
      if (type === "tool_use") return `tool_use(${str(obj(event.part).tool)})`;
      return type;
    case "pi":
      if (type === "message_start" || type === "message_end") {
        const message = obj(event.message);
        const stop = message.stopReason === "error" ? ",error" : "";
        return `${type}[${str(message.role)}${stop}]`;
      }
      if (type === "message_update") return `message_update(${str(obj(event.assistantMessageEvent).type)})`;
      if (type === "auto_retry_end") return `auto_retry_end(success=${str(event.success)})`;
      if (type === "auto_retry_start") return `auto_retry_start(${str(event.attempt)}/${str(event.maxAttempts)})`;
      return type;
  }
}

/** Labels of every line, consecutive repeats collapsed as `label×N`. */
export function summarizeEvents(engine: Engine, stdout: string): string {
  const labels: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      labels.push("(non-JSON line)");
      continue;
    }
    labels.push(eventLabel(engine, obj(parsed)));
  }
  const out: string[] = [];
  let i = 0;
  while (i < labels.length) {
    let j = i;
    while (j < labels.length && labels[j] === labels[i]) j++;
    const label = labels[i] ?? "";
    out.push(j - i > 1 ? `${label}×${String(j - i)}` : label);
    i = j;
  }
  return out.length > 0 ? out.join(", ") : "(no output)";
}
