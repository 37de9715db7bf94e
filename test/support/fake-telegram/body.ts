// Request bodies the Bot API accepts: JSON, application/x-www-form-urlencoded
// and multipart/form-data, plus query-string parameters (body wins).
import type { IncomingMessage } from "node:http";
import { badRequest } from "./errors.js";
import { boundaryOf, MultipartError, parseMultipart } from "./multipart.js";
import type { JsonObject } from "./types.js";

/** A file part of a multipart request. */
export interface UploadedFile {
  /** The form field the part came in (`document`, or grammY's random attach id). */
  field: string;
  filename: string;
  contentType: string | undefined;
  data: Buffer;
}

export type BodyEncoding = "none" | "json" | "form" | "multipart";

export interface ParsedRequest {
  encoding: BodyEncoding;
  /** Non-file parameters: JSON values, or strings for form encodings. */
  fields: JsonObject;
  /** File parts by field name. */
  files: Map<string, UploadedFile>;
}

export class BodyTooLarge extends Error {
  override name = "BodyTooLarge";
}

/** Reads the whole body; rejects with BodyTooLarge past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw new BodyTooLarge(`request body over ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a request into parameters; a malformed body is a 400 like Telegram's. */
export function parseRequest(contentType: string | undefined, raw: Buffer, query: URLSearchParams): ParsedRequest {
  const fields: JsonObject = Object.fromEntries(query);
  const files = new Map<string, UploadedFile>();
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (raw.length === 0 && !type.startsWith("multipart/")) return { encoding: "none", fields, files };

  if (type === "application/json") {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("JSON body must be an object");
    return { encoding: "json", fields: { ...fields, ...(body as JsonObject) }, files };
  }
  if (type === "application/x-www-form-urlencoded") {
    for (const [key, value] of new URLSearchParams(raw.toString("utf8"))) fields[key] = value;
    return { encoding: "form", fields, files };
  }
  if (type === "multipart/form-data") {
    const boundary = boundaryOf(contentType ?? "");
    if (boundary === undefined) throw badRequest("multipart/form-data without a boundary");
    try {
      for (const part of parseMultipart(raw, boundary)) {
        if (part.filename === undefined) fields[part.name] = part.data.toString("utf8");
        else files.set(part.name, { field: part.name, filename: part.filename, contentType: part.contentType, data: part.data });
      }
    } catch (err) {
      if (err instanceof MultipartError) throw badRequest(`can't parse multipart/form-data: ${err.message}`);
      throw err;
    }
    return { encoding: "multipart", fields, files };
  }
  throw badRequest(`unsupported content type ${type === "" ? "(none)" : type}`);
}
