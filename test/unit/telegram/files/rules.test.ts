import { describe, expect, it } from "vitest";
import { fileSubcommand } from "../../../../src/telegram/commands/file.js";
import { formatBytes } from "../../../../src/telegram/files/rules.js";
import { uploadName } from "../../../../src/telegram/files/save.js";

describe("formatBytes (upstream's format_bytes)", () => {
  it.each([
    [0, "0 b"],
    [1023, "1023 b"],
    [1024, "1.0 kb"],
    [1536, "1.5 kb"],
    [10 * 1024, "10 kb"],
    [20 * 1024 * 1024, "20 mb"],
    [5.5 * 1024 ** 3, "5.5 gb"],
    [2048 * 1024 ** 4, "2048 tb"],
    [-5, "0 b"],
  ])("%d → %s", (value, text) => {
    expect(formatBytes(value)).toBe(text);
  });
});

describe("uploadName", () => {
  it.each([
    ["report.pdf", null, "report.pdf"],
    ["../../etc/passwd", null, "passwd"],
    ["..", "photos/file_3.jpg", "file_3.jpg"],
    [null, "photos/file_3.jpg", "file_3.jpg"],
    [null, null, "upload.bin"],
    ["", "", "upload.bin"],
    ["dir/", null, "upload.bin"],
  ])("%j, %j → %s", (fileName, filePath, name) => {
    expect(uploadName(fileName, filePath)).toBe(name);
  });
});

describe("fileSubcommand", () => {
  it.each([
    ["put docs/", { action: "put", rest: "docs/" }],
    ["GET /app @feat a b.txt", { action: "get", rest: "/app @feat a b.txt" }],
    ["put", { action: "put", rest: "" }],
    ["", null],
    ["list", null],
  ])("%j", (args, expected) => {
    expect(fileSubcommand(args)).toEqual(expected);
  });
});
