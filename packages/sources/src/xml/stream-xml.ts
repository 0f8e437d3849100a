import { SourceShapeChangedError } from "@regwatch/core/errors";
import { SaxesParser } from "saxes";

export interface XmlHandlers {
  open(name: string, attrs: Record<string, string>): void;
  close(name: string): void;
  text(text: string): void;
}

export interface StreamXmlOptions {
  /** Deeper nesting than any legal text needs is treated as hostile. */
  maxDepth?: number;
  /** Name for error messages. */
  fileName?: string;
}

/**
 * Strict, non-validating XML as a stream of events, without building a tree
 * (large lists parse in little more than the tokenizer's time). Well-formedness
 * errors are fatal. Entity declarations are refused outright: no general
 * entities beyond XML's five and character references are ever expanded, so
 * "billion laughs" and external-entity tricks cannot do anything.
 *
 * The text may come whole or in slices (`decodeChunks`); a step is yielded
 * after each slice, so that a caller can let other work run in between
 * (`runSteps` in ../steps.ts drives it to the end at once).
 */
export function* streamXmlSteps(
  input: string | Iterable<string>,
  handlers: XmlHandlers,
  options: StreamXmlOptions = {},
): Generator<void, void> {
  const maxDepth = options.maxDepth ?? 256;
  const where = options.fileName ? `${options.fileName}: ` : "";
  const parser = new SaxesParser({ position: true });
  let depth = 0;
  let seenRoot = false;
  let failure: Error | undefined;

  parser.on("doctype", (doctype) => {
    if (/<!ENTITY/i.test(doctype)) {
      throw new SourceShapeChangedError(`${where}document declares XML entities; refusing to expand them`);
    }
  });
  // After the first well-formedness error saxes carries on; its later events mean nothing.
  parser.on("opentag", (tag) => {
    if (failure) return;
    seenRoot = true;
    if (++depth > maxDepth)
      throw new SourceShapeChangedError(`${where}elements nested deeper than ${maxDepth}`);
    handlers.open(tag.name, tag.attributes as Record<string, string>);
  });
  parser.on("closetag", (tag) => {
    if (failure) return;
    depth--;
    handlers.close(tag.name);
  });
  parser.on("text", (t) => {
    if (depth > 0 && !failure) handlers.text(t);
  });
  parser.on("cdata", (t) => {
    if (depth > 0 && !failure) handlers.text(t);
  });
  parser.on("error", (err) => {
    failure ??= err;
  });
  // Well-formedness errors arrive through the "error" event; anything thrown
  // is a handler's own error and goes up unchanged.
  let first = true;
  for (const chunk of typeof input === "string" ? [input] : input) {
    parser.write(first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk);
    first = false;
    if (failure) break;
    yield;
  }
  if (!failure) parser.close();
  if (failure) {
    throw new SourceShapeChangedError(`${where}malformed XML: ${failure.message.replace(/^undefined:/, "")}`);
  }
  if (!seenRoot) throw new SourceShapeChangedError(`${where}no root element`);
}
