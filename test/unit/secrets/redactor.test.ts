// The one redaction of secrets: known values and token-shaped text replaced by
// a named marker, entities moved to match, linear on long texts.
import { describe, expect, it } from "vitest";
import { Redactor, type TextEntity } from "../../../src/secrets/redactor.js";
import { createLogger } from "../../../src/util/log.js";

const TOKEN = "7000000001:AAFakeTelegramTokenForTests-00000001";
const OPENAI = "sk-proj-Abc123Def456Ghi789Jkl012";
const ANTHROPIC = "sk-ant-api03-ZZZ111yyy222xxx333";

const redactor = (): Redactor =>
  Redactor.of([
    { name: "TELEGRAM_BOT_TOKEN", value: TOKEN },
    { name: "OPENAI_API_KEY", value: OPENAI },
    { name: "ANTHROPIC_API_KEY", value: ANTHROPIC },
  ]);

describe("Redactor.redact", () => {
  it("replaces each known secret by a marker naming it, every occurrence", () => {
    const text = `key ${OPENAI} and again ${OPENAI}; claude ${ANTHROPIC}.`;
    expect(redactor().redact(text)).toBe("key [REDACTED:OPENAI_API_KEY] and again [REDACTED:OPENAI_API_KEY]; claude [REDACTED:ANTHROPIC_API_KEY].");
  });

  it("keeps the first name a value was registered under", () => {
    const r = Redactor.of([{ name: "TELEGRAM_BOT_TOKEN", value: TOKEN }]).add("bot_token", TOKEN);
    expect(r.redact(TOKEN)).toBe("[REDACTED:TELEGRAM_BOT_TOKEN]");
  });

  it("finds token-shaped text it was not told about, in URLs and bare", () => {
    const other = "123456789:AAHfake-Secret_token0123456789abcdefg";
    const r = new Redactor();
    expect(r.redact(`GET https://api.telegram.org/bot${other}/getMe`)).toBe("GET https://api.telegram.org/bot[REDACTED:bot_token]/getMe");
    expect(r.redact(`token=${other}`)).toBe("token=[REDACTED:bot_token]");
  });

  it("takes whatever follows /bot<id>: in a URL for a token, whatever its shape (the backstop)", () => {
    const r = new Redactor();
    expect(r.redact("POST http://127.0.0.1:8081/bot42:short-odd.secret~x/getUpdates?offset=1")).toBe("POST http://127.0.0.1:8081/bot[REDACTED:bot_token]/getUpdates?offset=1");
    expect(r.redact('"url":"https://api.telegram.org/bot42%3Asecret/getMe"')).toBe('"url":"https://api.telegram.org/bot[REDACTED:bot_token]/getMe"');
    expect(r.redact("file/bot7:abc def")).toBe("file/bot[REDACTED:bot_token] def");
    // Not a token: no digits and colon right after /bot.
    for (const text of ["see /bot/help", "/botany:leaves", "/bot12/x"]) expect(r.redact(text)).toBe(text);
  });

  it("leaves times, ratios and file:line:symbol references alone", () => {
    const r = redactor();
    for (const text of ["chat 12:34 at 10:00", "src/config/load.ts:120:validateConfigSchemaOfThings", "ratio 16:9", "pid 12345678901234567890"]) {
      expect(r.redact(text)).toBe(text);
    }
  });

  it("ignores values too short to be secrets", () => {
    const r = Redactor.of([
      { name: "VOICE_KEY", value: "local" },
      { name: "EMPTY_TOKEN", value: "" },
    ]);
    expect(r.redact("a local run")).toBe("a local run");
    expect(r.has("local")).toBe(false);
  });

  it("also finds a secret in its JSON-escaped form", () => {
    const quoted = 'pa"ss\\word-1234';
    const r = Redactor.of([{ name: "DB_PASSWORD", value: quoted }]);
    const line = JSON.stringify({ msg: `login with ${quoted}` });
    expect(r.redact(line)).toBe(JSON.stringify({ msg: "login with [REDACTED:DB_PASSWORD]" }));
  });

  it("merges overlapping and nested secrets so no fragment of either survives", () => {
    const a = "AAAA1111BBBB";
    const b = "BBBB2222CCCC"; // a's tail is b's head
    const inner = "1111BBBB2"; // inside a+b
    const r = Redactor.of([
      { name: "A_TOKEN", value: a },
      { name: "B_TOKEN", value: b },
      { name: "INNER_TOKEN", value: inner },
    ]);
    const out = r.redact(`x AAAA1111BBBB2222CCCC y`);
    expect(out).toBe("x [REDACTED:A_TOKEN] y");
    for (const fragment of ["1111", "2222", "CCCC", "BBBB"]) expect(out).not.toContain(fragment);
    // Two secrets side by side stay two markers.
    expect(r.redact(`${a}${a}`)).toBe("[REDACTED:A_TOKEN][REDACTED:A_TOKEN]");
  });

  it("is linear on long texts, also on inputs built to make matching slow", () => {
    const r = redactor();
    const chunk = `${"lorem ipsum dolor sit amet ".repeat(40)}${OPENAI}\n`;
    const answer = chunk.repeat(Math.ceil(200_000 / chunk.length));
    const digits = "1".repeat(200_000); // a naive \d+: token pattern is quadratic here
    const almost = "12345:".repeat(20_000);
    const nearMiss = Redactor.of([{ name: "REPEAT_TOKEN", value: "aaaaaaaaab" }]);
    const periodic = Redactor.of([{ name: "REPEAT_TOKEN", value: "aaaaaaaa" }]);
    const started = performance.now();
    const redacted = r.redact(answer);
    expect(r.redact(digits)).toBe(digits);
    expect(r.redact(`/bot${digits}`)).toBe(`/bot${digits}`);
    expect(r.redact(almost)).toBe(almost);
    expect(nearMiss.redact("a".repeat(200_000))).toHaveLength(200_000);
    expect(periodic.redact("a".repeat(200_000))).toBe("[REDACTED:REPEAT_TOKEN]");
    const elapsed = performance.now() - started;
    expect(redacted).not.toContain(OPENAI);
    expect(redacted.split("[REDACTED:OPENAI_API_KEY]")).toHaveLength(answer.split(OPENAI).length);
    expect(elapsed).toBeLessThan(500);
  });
});

describe("Redactor.redactWithEntities", () => {
  /** The text each entity covers, to compare before and after. */
  const covered = (text: string, entities: readonly TextEntity[]) => entities.map((e) => text.slice(e.offset, e.offset + e.length));

  it("shifts entities after a replacement by the change in length, and widens those around it", () => {
    const r = redactor();
    const text = `Error: key ${OPENAI} rejected. See **docs**`;
    const keyAt = text.indexOf(OPENAI);
    const entities = [
      { type: "bold", offset: 0, length: 6 }, // "Error:" before the secret
      { type: "code", offset: keyAt, length: OPENAI.length }, // exactly the secret
      { type: "italic", offset: keyAt - 4, length: OPENAI.length + 13 }, // around it: "key … rejected"
      { type: "bold", offset: text.indexOf("docs"), length: 4 }, // after it
    ];
    const out = r.redactWithEntities(text, entities);
    expect(out.text).toBe("Error: key [REDACTED:OPENAI_API_KEY] rejected. See **docs**");
    expect(covered(out.text, out.entities)).toEqual(["Error:", "[REDACTED:OPENAI_API_KEY]", "key [REDACTED:OPENAI_API_KEY] rejected", "docs"]);
    expect(out.entities.map((e) => e.type)).toEqual(["bold", "code", "italic", "bold"]);
  });

  it("counts offsets in UTF-16 code units (emoji before the secret) and handles several secrets", () => {
    const r = redactor();
    const text = `🙂 ${TOKEN} 👍🏽 ${ANTHROPIC} end`;
    const entities = [
      { type: "bold", offset: text.indexOf("👍🏽"), length: "👍🏽".length },
      { type: "italic", offset: text.indexOf("end"), length: 3 },
    ];
    const out = r.redactWithEntities(text, entities);
    expect(out.text).toBe("🙂 [REDACTED:TELEGRAM_BOT_TOKEN] 👍🏽 [REDACTED:ANTHROPIC_API_KEY] end");
    expect(covered(out.text, out.entities)).toEqual(["👍🏽", "end"]);
  });

  it("keeps an entity that starts or ends inside a secret on the marker, and drops one left empty", () => {
    const r = redactor();
    const text = `a ${OPENAI} b`;
    const at = text.indexOf(OPENAI);
    const out = r.redactWithEntities(text, [
      { type: "bold", offset: at + 3, length: 5 }, // inside the secret
      { type: "italic", offset: 0, length: at + 4 }, // ends inside it
      { type: "code", offset: at + 4, length: OPENAI.length }, // starts inside it, ends after
      { type: "underline", offset: at, length: 0 },
    ]);
    expect(covered(out.text, out.entities)).toEqual(["[REDACTED:OPENAI_API_KEY]", "a [REDACTED:OPENAI_API_KEY]", "[REDACTED:OPENAI_API_KEY] b"]);
  });

  it("redacts a text_link's URL and leaves text without secrets as it is", () => {
    const r = redactor();
    const link = { type: "text_link", offset: 0, length: 4, url: `https://api.telegram.org/bot${TOKEN}/getMe` };
    const out = r.redactWithEntities("docs", [link]);
    expect(out.text).toBe("docs");
    expect(out.entities).toEqual([{ ...link, url: "https://api.telegram.org/bot[REDACTED:TELEGRAM_BOT_TOKEN]/getMe" }]);
  });
});

describe("Redactor.redactValue", () => {
  it("redacts nested fields and flattens errors, cycles included", () => {
    const error = new Error(`request to https://x/bot${TOKEN}/getMe failed`, { cause: new Error(`key ${OPENAI}`) });
    const looped: Record<string, unknown> = { url: `https://x/bot${TOKEN}/getMe` };
    looped.self = looped;
    const out = JSON.stringify(redactor().redactValue({ error, list: [OPENAI], looped }));
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(OPENAI);
    expect(out).toContain("bot[REDACTED:TELEGRAM_BOT_TOKEN]");
    expect(out).toContain("[Circular]");
  });
});

describe("createLogger", () => {
  it("redacts whole lines: message, fields, bindings and errors", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", format: "json", redactor: redactor(), destination: { write: (line) => lines.push(line) } });
    log.child({ engine: "codex", token: TOKEN }).debug({ stderrTail: `Incorrect API key provided: ${OPENAI}` }, `engine failed with ${ANTHROPIC}`);
    log.error({ err: new Error(`fetch https://x/bot${TOKEN}/getUpdates`) }, "poll failed");
    const text = lines.join("");
    expect(lines).toHaveLength(2);
    for (const secret of [TOKEN, OPENAI, ANTHROPIC]) expect(text).not.toContain(secret);
    const first = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(first).toMatchObject({ engine: "codex", token: "[REDACTED:TELEGRAM_BOT_TOKEN]", msg: "engine failed with [REDACTED:ANTHROPIC_API_KEY]" });
    expect(first.stderrTail).toBe("Incorrect API key provided: [REDACTED:OPENAI_API_KEY]");
  });
});
