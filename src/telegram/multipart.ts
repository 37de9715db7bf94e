/**
 * multipart/form-data for Bot API uploads (sendDocument): every parameter as
 * a form field (objects as JSON, as Telegram reads them) and one file part.
 */
import { randomBytes } from "node:crypto";

export interface UploadFile {
  /** The parameter the file is for (`document`). */
  field: string;
  filename: string;
  data: Buffer;
  /** Default application/octet-stream. */
  contentType?: string;
}

export interface EncodedForm {
  body: Buffer;
  contentType: string;
}

/** The form's body and its content type (with the boundary); null and undefined fields are left out. */
export function encodeMultipart(fields: Readonly<Record<string, unknown>>, file: UploadFile): EncodedForm {
  const boundary = `takopi-${randomBytes(12).toString("hex")}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${quote(name)}"\r\n\r\n${text}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.filename)}"\r\n` +
        `content-type: ${file.contentType ?? "application/octet-stream"}\r\n\r\n`,
    ),
    file.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A header parameter's value: quotes and line breaks escaped as browsers do (RFC 7578 §4.2). */
function quote(value: string): string {
  return value.replaceAll('"', "%22").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}
