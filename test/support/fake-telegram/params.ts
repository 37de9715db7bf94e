// Typed access to method parameters whatever the encoding: JSON sends numbers,
// booleans and objects as such; form encodings send strings, with objects
// and arrays as JSON text. A bad value is a 400, as Telegram answers it.
import type { ParsedRequest, UploadedFile } from "./body.js";
import { badRequest } from "./errors.js";
import type { JsonObject } from "./types.js";

const INTEGER = /^-?\d+$/;

export class Params {
  private readonly request: ParsedRequest;

  constructor(request: ParsedRequest) {
    this.request = request;
  }

  get encoding(): ParsedRequest["encoding"] {
    return this.request.encoding;
  }

  /** Parameters as received, without file parts (for the call log). */
  get fields(): JsonObject {
    return this.request.fields;
  }

  /** File parts, without their bytes (for the call log). */
  fileSummaries(): { field: string; filename: string; contentType: string | undefined; size: number }[] {
    return [...this.request.files.values()].map((f) => ({
      field: f.field,
      filename: f.filename,
      contentType: f.contentType,
      size: f.data.length,
    }));
  }

  has(name: string): boolean {
    const value = this.request.fields[name];
    return (value !== undefined && value !== null) || this.request.files.has(name);
  }

  string(name: string): string | undefined {
    const value = this.request.fields[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    throw badRequest(`parameter "${name}" must be a string`);
  }

  int(name: string): number | undefined {
    const value = this.request.fields[name];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value === "number" && Number.isInteger(value)) return value;
    if (typeof value === "string" && INTEGER.test(value.trim())) return Number(value.trim());
    throw badRequest(`parameter "${name}" must be an integer`);
  }

  requiredInt(name: string, missing: string): number {
    const value = this.int(name);
    if (value === undefined) throw badRequest(missing);
    return value;
  }

  /** A possibly fractional number (the fake accepts `timeout: 0.2` to keep tests fast). */
  number(name: string): number | undefined {
    const value = this.request.fields[name];
    if (value === undefined || value === null || value === "") return undefined;
    const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
    if (!Number.isFinite(n)) throw badRequest(`parameter "${name}" must be a number`);
    return n;
  }

  bool(name: string): boolean {
    const value = this.request.fields[name];
    if (value === undefined || value === null) return false;
    if (typeof value === "boolean") return value;
    if (typeof value === "number") return value !== 0;
    if (typeof value === "string") return ["true", "1"].includes(value.trim().toLowerCase());
    throw badRequest(`parameter "${name}" must be a boolean`);
  }

  /** An object or array parameter; form encodings carry it as JSON text. */
  json(name: string, what = `${name} JSON object`): unknown {
    const value = this.request.fields[name];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw badRequest(`can't parse ${what}`);
    }
  }

  /** `chat_id`: an integer id or an `@username`, as given. */
  chatRef(name = "chat_id"): number | string | undefined {
    const value = this.request.fields[name];
    if (typeof value === "string" && value.startsWith("@")) return value;
    return this.int(name);
  }

  /**
   * An InputFile parameter: an uploaded part (sent under the field's own
   * name, or referenced as `attach://<part>` the way grammY does it), or a
   * string (a file_id or URL).
   */
  file(name: string): UploadedFile | string | undefined {
    const direct = this.request.files.get(name);
    if (direct !== undefined) return direct;
    const value = this.string(name);
    if (value?.startsWith("attach://") === true) {
      const part = this.request.files.get(value.slice("attach://".length));
      if (part === undefined) throw badRequest(`file for ${value} was not uploaded`);
      return part;
    }
    return value;
  }
}
