// `[plugins.schedule]` as the /schedule overlay reads it: defaults, the
// container's TZ, and one line naming the key when a value is wrong.
import { afterEach, describe, expect, it, vi } from "vitest";
import { readSettings } from "../../../overlay/schedule/src/schedule.js";

const CONFIG = "/config/takopi.toml";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("[plugins.schedule]", () => {
  it("defaults: TZ when it names an IANA zone, else UTC; 20 per chat; 300 s catch-up; 1 min shortest interval", () => {
    vi.stubEnv("TZ", "America/Chicago");
    expect(readSettings({}, CONFIG)).toEqual({ zone: "America/Chicago", maxPerChat: 20, catchUpMs: 300_000, minIntervalMs: 60_000 });
    vi.stubEnv("TZ", ":/etc/localtime");
    expect(readSettings({}, CONFIG)).toMatchObject({ zone: "UTC" });
  });

  it("takes the keys it knows", () => {
    expect(readSettings({ timezone: "Asia/Tokyo", max_per_chat: 3, catch_up_s: 0, min_interval_s: 1 }, CONFIG)).toEqual({ zone: "Asia/Tokyo", maxPerChat: 3, catchUpMs: 0, minIntervalMs: 1000 });
  });

  it("says which key is wrong and where", () => {
    expect(readSettings({ timezone: "Mars/Olympus" }, CONFIG)).toBe('[plugins.schedule] timezone "Mars/Olympus" is not an IANA time zone (e.g. "Europe/Berlin", "UTC") in /config/takopi.toml');
    expect(readSettings({ max_per_chat: 2.5 }, CONFIG)).toBe("[plugins.schedule] max_per_chat must be a number ≥ 1 (in /config/takopi.toml)");
    expect(readSettings({ catch_up_s: -1 }, CONFIG)).toBe("[plugins.schedule] catch_up_s must be a number ≥ 0 (in /config/takopi.toml)");
    expect(readSettings({ min_interval_s: 0 }, CONFIG)).toBe("[plugins.schedule] min_interval_s must be a number ≥ 1 (in /config/takopi.toml)");
  });
});
