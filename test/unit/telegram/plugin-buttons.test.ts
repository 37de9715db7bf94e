import { describe, expect, it } from "vitest";
import { CALLBACK_DATA_MAX_BYTES, parsePluginData, pluginKeyboard } from "../../../src/telegram/plugin-buttons.js";

describe("plugin buttons", () => {
  it("namespaces each button's data with the plugin id, row by row", () => {
    expect(pluginKeyboard("sched", [[{ text: "cancel", data: "cancel:7" }], [{ text: "a", data: "" }, { text: "b", data: "x:y" }]])).toEqual({
      inline_keyboard: [[{ text: "cancel", callback_data: "p:sched:cancel:7" }], [{ text: "a", callback_data: "p:sched:" }, { text: "b", callback_data: "p:sched:x:y" }]],
    });
  });

  it("takes data up to Telegram's 64 bytes with the prefix, counted in UTF-8, and refuses one byte more", () => {
    const room = CALLBACK_DATA_MAX_BYTES - "p:ab:".length;
    const fits = pluginKeyboard("ab", [[{ text: "ok", data: "x".repeat(room) }]]).inline_keyboard[0]?.[0] as { callback_data: string } | undefined;
    expect(fits?.callback_data).toHaveLength(64);
    expect(() => pluginKeyboard("ab", [[{ text: "long", data: "x".repeat(room + 1) }]])).toThrow(/take at most 59/);
    // "é" is two bytes: 30 of them are 60 bytes, over the 59 left.
    expect(() => pluginKeyboard("ab", [[{ text: "accents", data: "é".repeat(30) }]])).toThrow(/60 bytes/);
  });

  it("refuses buttons that are not rows of { text, data }", () => {
    expect(() => pluginKeyboard("ab", [{ text: "flat", data: "x" }] as never)).toThrow(/rows/);
    expect(() => pluginKeyboard("ab", [[{ text: " ", data: "x" }]])).toThrow(/needs a text/);
    expect(() => pluginKeyboard("ab", [[{ text: "no data" } as never]])).toThrow(/needs a data string/);
  });

  it("reads a press back into the plugin and its data, and nothing else", () => {
    expect(parsePluginData("p:sched:cancel:7")).toEqual({ pluginId: "sched", data: "cancel:7" });
    expect(parsePluginData("p:sched:")).toEqual({ pluginId: "sched", data: "" });
    expect(parsePluginData("p::x")).toBeNull();
    expect(parsePluginData("p:sched")).toBeNull();
    expect(parsePluginData("takopi:cancel")).toBeNull();
    expect(parsePluginData(null)).toBeNull();
  });
});
