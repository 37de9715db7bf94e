// A multipart/form-data parser for the shapes Bot API clients send. grammY's
// own encoder is terse (`content-disposition:form-data;name="id";filename=a b.txt`:
// no spaces, an unquoted filename that may contain spaces, no part
// content-type, no CRLF after the closing boundary), so the parser accepts
// that as well as what undici's FormData writes.

export interface FormPart {
  name: string;
  /** Present when the part is a file (even an empty filename). */
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export class MultipartError extends Error {
  override name = "MultipartError";
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary of a `multipart/form-data; boundary=…` content type. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.from(`\r\n--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new MultipartError("multipart body without its boundary");
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    const lineEnd = body.indexOf(CRLF, pos);
    if (lineEnd < 0) throw new MultipartError("multipart body ends after a boundary");
    const headerStart = lineEnd + 2;
    // An empty header block ends right at the boundary line's CRLF.
    const headerEnd = body.indexOf(HEADER_END, lineEnd);
    if (headerEnd < 0) throw new MultipartError("multipart part without a header end");
    const headers = parseHeaders(body.subarray(headerStart, Math.max(headerStart, headerEnd)).toString("utf8"));
    const dataStart = headerEnd + HEADER_END.length;
    const next = body.indexOf(separator, dataStart);
    if (next < 0) throw new MultipartError("multipart part is not terminated by a boundary");
    const disposition = parseDisposition(headers.get("content-disposition") ?? "");
    if (disposition.name === undefined) throw new MultipartError("multipart part without a name");
    parts.push({
      name: disposition.name,
      ...(disposition.filename === undefined ? {} : { filename: disposition.filename }),
      ...(headers.has("content-type") ? { contentType: headers.get("content-type") } : {}),
      data: body.subarray(dataStart, next),
    });
    pos = next + 2;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** `name` and `filename` of `form-data; name="x"; filename="y"` (or `filename*=UTF-8''…`). */
function parseDisposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  let rest = value.replace(/^\s*form-data\s*/i, "");
  while (rest.length > 0) {
    rest = rest.replace(/^[\s;]+/, "");
    const key = /^([A-Za-z*-]+)\s*=\s*/.exec(rest);
    if (key?.[1] === undefined) break;
    const name = key[1].toLowerCase();
    rest = rest.slice(key[0].length);
    let raw: string;
    if (rest.startsWith('"')) {
      [raw, rest] = readQuoted(rest);
    } else if (name === "filename") {
      // grammY writes the filename unquoted and last; it may hold spaces or `;`.
      raw = rest.trim();
      rest = "";
    } else {
      const semi = rest.indexOf(";");
      raw = (semi < 0 ? rest : rest.slice(0, semi)).trim();
      rest = semi < 0 ? "" : rest.slice(semi);
    }
    if (name === "name") out.name = raw;
    else if (name === "filename") out.filename ??= raw;
    else if (name === "filename*") {
      const encoded = /^[^']*'[^']*'(.*)$/.exec(raw);
      out.filename = decodeURIComponent(encoded?.[1] ?? raw);
    }
  }
  return out;
}

/** A quoted string at the start of `text` (backslash escapes) and what follows it. */
function readQuoted(text: string): [string, string] {
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === "\\" && i + 1 < text.length) {
      value += text.charAt(i + 1);
      i++;
    } else if (ch === '"') {
      return [value, text.slice(i + 1)];
    } else {
      value += ch;
    }
  }
  throw new MultipartError("unterminated quoted string in content-disposition");
}
