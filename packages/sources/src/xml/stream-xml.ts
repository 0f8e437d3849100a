import { SourceShapeChangedError } from "@regwatch/core/errors";
import { XmlScanner, XmlSyntaxError } from "./scan-xml.ts";

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
 * (large lists parse in little more than the scanner's time; see
 * ./scan-xml.ts). Well-formedness errors are fatal. Entity declarations are
 * refused outright: no general entities beyond XML's five and character
 * references are ever expanded, so "billion laughs" and external-entity
 * tricks cannot do anything. Names come as written (no namespace
 * processing); text comes only from inside the root element, possibly split
 * into several calls.
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
  let depth = 0;
  const scanner = new XmlScanner({
    open(name, attrs) {
      if (++depth > maxDepth)
        throw new SourceShapeChangedError(`${where}elements nested deeper than ${maxDepth}`);
      handlers.open(name, attrs);
    },
    close(name) {
      depth--;
      handlers.close(name);
    },
    text: (t) => handlers.text(t),
    doctype(raw) {
      if (/<!ENTITY/i.test(raw)) {
        throw new SourceShapeChangedError(`${where}document declares XML entities; refusing to expand them`);
      }
    },
  });
  // Only the scanner's own errors are malformed XML; a handler's error goes up unchanged.
  const malformed = (err: unknown) =>
    err instanceof XmlSyntaxError
      ? new SourceShapeChangedError(`${where}malformed XML: ${err.message}`)
      : err;
  let first = true;
  for (const chunk of typeof input === "string" ? [input] : input) {
    try {
      scanner.write(first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk);
    } catch (err) {
      throw malformed(err);
    }
    first = false;
    yield;
  }
  try {
    scanner.end();
  } catch (err) {
    throw malformed(err);
  }
}
