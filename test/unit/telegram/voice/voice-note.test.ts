// How a transcript becomes the text a voice note runs as (the marker after its
// leading directives, as upstream adds it to the resolved prompt) and how it is
// shown in the chat (quoted, on one line, cut to a readable length).
import { describe, expect, it } from "vitest";
import { resolveMessage } from "../../../../src/core/directives.js";
import { shownTranscript, voicePrompt } from "../../../../src/telegram/voice/voice-note.js";

const NAMES = { engineIds: ["codex", "claude"], projects: ["app", "web"] };

/** What the dispatch makes of the text: the engine, project, branch and prompt. */
function resolved(text: string) {
  const result = resolveMessage({ text, names: NAMES, codecs: [] });
  return { engine: result.engineOverride, context: result.context, prompt: result.prompt };
}

describe("voicePrompt", () => {
  it("puts the marker before a transcript without directives", () => {
    expect(voicePrompt("fix the failing test", NAMES)).toBe("(voice transcribed) fix the failing test");
  });

  it("keeps leading directives routing, with the marker after them", () => {
    expect(resolved(voicePrompt("/claude fix it", NAMES))).toEqual({ engine: "claude", context: null, prompt: "(voice transcribed) fix it" });
    expect(resolved(voicePrompt("/App @feature /codex add a test\nand run it", NAMES))).toEqual({
      engine: "codex",
      context: { project: "app", branch: "feature" },
      prompt: "(voice transcribed) add a test\nand run it",
    });
  });

  it("leaves a slash word that is no directive in the prompt, and conflicting directives for the dispatch to answer", () => {
    expect(voicePrompt("/nope do it", NAMES)).toBe("(voice transcribed) /nope do it");
    expect(voicePrompt("/codex /claude do it", NAMES)).toBe("/codex /claude do it");
  });
});

describe("shownTranscript", () => {
  it("quotes the transcript on one line", () => {
    expect(shownTranscript("  fix *the*\n\ntest  ")).toBe('🎙 "fix *the* test"');
  });

  it("cuts a long transcript to 500 characters, never inside an emoji", () => {
    const shown = shownTranscript("word ".repeat(200));
    // `🎙 "` and `"` around at most 500 characters, the `…` included.
    expect(shown.slice('🎙 "'.length, -1).length).toBeLessThanOrEqual(500);
    expect(shown.endsWith('…"')).toBe(true);
    const emoji = shownTranscript(`${"a".repeat(498)}😀 and more`);
    expect(emoji).toBe(`🎙 "${"a".repeat(498)}…"`);
  });
});
