// Small helpers shared by the fake Bot API modules.
import { randomBytes } from "node:crypto";
import type { FileContent, JsonObject } from "./types.js";

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function toBuffer(content: FileContent): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
}

/** An opaque id in Telegram's url-safe alphabet. */
export function opaqueId(prefix: string, bytes = 12): string {
  return `${prefix}${randomBytes(bytes).toString("base64url")}`;
}

/** A short one-line preview of a text for error messages. */
export function preview(text: string | undefined, max = 60): string {
  if (text === undefined) return "(no text)";
  const flat = text.replace(/\s+/g, " ");
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: "text/plain",
  md: "text/markdown",
  json: "application/json",
  csv: "text/csv",
  html: "text/html",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  ogg: "audio/ogg",
  mp4: "video/mp4",
};

/** Telegram guesses a document's MIME type from its name when the client sends none. */
export function guessMime(filename: string, declared: string | undefined): string {
  if (declared !== undefined && declared !== "" && declared !== "application/octet-stream") return declared;
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return (ext === undefined ? undefined : MIME_BY_EXTENSION[ext]) ?? "application/octet-stream";
}
