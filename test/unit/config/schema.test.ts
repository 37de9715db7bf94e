import { describe, expect, it } from "vitest";
import { findUnknownKeys, resolveSettingPaths, SettingsSchema, TelegramSchema } from "../../../src/config/schema.js";

const telegram = (extra: Record<string, unknown>) => TelegramSchema.safeParse({ bot_token: "t", chat_id: 1, ...extra });

describe("TelegramSchema", () => {
  it("takes chat ids as integers or strings of digits, never booleans or fractions", () => {
    expect(telegram({ chat_id: "-1001234567890" }).data?.chat_id).toBe(-1001234567890);
    expect(telegram({ chat_id: " 42 " }).data?.chat_id).toBe(42);
    for (const bad of [true, 1.5, "12a", "", "1e3", [1]]) expect(telegram({ chat_id: bad }).success).toBe(false);
  });

  it("api_root must be http(s); a trailing slash is dropped", () => {
    expect(telegram({}).data?.api_root).toBe("https://api.telegram.org");
    expect(telegram({ api_root: "http://127.0.0.1:8081/" }).data?.api_root).toBe("http://127.0.0.1:8081");
    expect(telegram({ api_root: "https://proxy.example/bot-api//" }).data?.api_root).toBe("https://proxy.example/bot-api");
    for (const bad of ["127.0.0.1:8081", "ftp://x", "not a url", ""]) expect(telegram({ api_root: bad }).success).toBe(false);
  });

  it("backlog_max_age_s is a number >= 0 (default 300)", () => {
    expect(telegram({}).data?.backlog_max_age_s).toBe(300);
    expect(telegram({ backlog_max_age_s: 0 }).data?.backlog_max_age_s).toBe(0);
    expect(telegram({ backlog_max_age_s: -1 }).success).toBe(false);
  });

  it("uploads_dir stays inside the project", () => {
    const files = (uploads_dir: string) => telegram({ files: { uploads_dir } });
    expect(files("in/coming").data?.files.uploads_dir).toBe("in/coming");
    expect(files("/tmp").success).toBe(false);
    expect(files("a/../../b").success).toBe(false);
  });
});

describe("SettingsSchema", () => {
  it("does not require a transports table by itself", () => {
    expect(SettingsSchema.parse({ transport: "slack" }).transports).toEqual({});
  });

  it("strips what it does not know; findUnknownKeys names it", () => {
    const table = { extra: 1, codex: { any: "thing" }, transports: { telegram: { bot_token: "t", chat_id: 1, nope: 2 } } };
    const parsed = SettingsSchema.parse(table);
    expect(parsed).not.toHaveProperty("extra");
    expect(parsed).not.toHaveProperty("codex");
    expect(parsed.transports.telegram).not.toHaveProperty("nope");
    expect(findUnknownKeys(table).map((unknown) => unknown.path.join("."))).toEqual(["extra", "transports.telegram.nope"]);
  });

  it("a table inside a project is an engine's settings, left to the engine; other unknown project keys are named", () => {
    const table = { projects: { app: { path: "/a", codex: { approval_policy: "untrusted" }, nope: 1 } } };
    expect(SettingsSchema.parse(table).projects.app).not.toHaveProperty("codex");
    expect(findUnknownKeys(table).map((unknown) => unknown.path.join("."))).toEqual(["projects.app.nope"]);
  });
});

it("resolveSettingPaths makes project and plugin paths absolute", () => {
  const settings = SettingsSchema.parse({ projects: { a: { path: "~/a", worktrees_dir: "wt" }, b: { path: "b" } }, plugins: { paths: ["p", "/abs"] } });
  const resolved = resolveSettingPaths(settings, { configDir: "/cfg", home: "/home/me" });
  expect(resolved.projects.a).toMatchObject({ path: "/home/me/a", worktrees_dir: "/home/me/a/wt" });
  expect(resolved.projects.b).toMatchObject({ path: "/cfg/b", worktrees_dir: "/cfg/b/.worktrees" });
  expect(resolved.plugins.paths).toEqual(["/cfg/p", "/abs"]);
  expect(settings.projects.a?.path).toBe("~/a");
});
