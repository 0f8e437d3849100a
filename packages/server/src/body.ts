export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request body of at most `limit` bytes, as text; a larger one is refused without reading it all. */
export async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw new BodyError(413, `request body over ${limit} bytes`);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyError(413, `request body over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** JSON or a form, by content type, as a plain object of strings and arrays. */
export function parseBody(type: string | undefined | null, text: string): Record<string, unknown> {
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
