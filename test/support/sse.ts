// Small helpers for tests that read SSE streams and untyped JSON.

export interface SseEvent {
  event: string | null;
  data: unknown;
}

export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    let event: string | null = null;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice("event: ".length);
      else if (line.startsWith("data: ")) data += line.slice("data: ".length);
    }
    events.push({ event, data: data === "[DONE]" ? "[DONE]" : (JSON.parse(data) as unknown) });
  }
  return events;
}

/** `get(x, "a", 0, "b")` = x.a[0].b, or undefined. */
export function get(value: unknown, ...path: (string | number)[]): unknown {
  let cur = value;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

export const str = (value: unknown): string => (typeof value === "string" ? value : "");

export const types = (events: SseEvent[]): unknown[] => events.map((e) => get(e.data, "type"));
