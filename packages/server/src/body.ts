import type { IncomingMessage } from "node:http";

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request body of at most `limit` bytes, as text; a larger one is refused without reading it all. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new BodyError(413, `request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** JSON or a form, by content type, as a plain object of strings and arrays. */
export function parseBody(type: string | undefined, text: string): Record<string, unknown> {
  const mime = (type ?? "").split(";")[0]!.trim().toLowerCase();
  if (mime === "application/json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BodyError(400, "the body is not JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new BodyError(400, "expected a JSON object");
    return value as Record<string, unknown>;
  }
  if (mime === "application/x-www-form-urlencoded" || mime === "") {
    const out: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      const existing = out[key];
      out[key] =
        existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return out;
  }
  throw new BodyError(415, `unsupported content type ${mime}`);
}
