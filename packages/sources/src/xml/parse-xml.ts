import { SourceShapeChangedError } from "@regwatch/core/errors";
import { SaxesParser } from "saxes";

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export interface ParseXmlOptions {
  /** Deeper nesting than any legal text needs is treated as hostile. */
  maxDepth?: number;
  /** Name for error messages. */
  fileName?: string;
}

/**
 * Strict, non-validating XML to a small element tree. Well-formedness errors
 * are fatal. Entity declarations are refused outright: no general entities
 * beyond XML's five and character references are ever expanded, so
 * "billion laughs" and external-entity tricks cannot do anything.
 */
export function parseXml(text: string, options: ParseXmlOptions = {}): XmlElement {
  const maxDepth = options.maxDepth ?? 256;
  const where = options.fileName ? `${options.fileName}: ` : "";
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;

  parser.on("doctype", (doctype) => {
    if (/<!ENTITY/i.test(doctype)) {
      throw new SourceShapeChangedError(`${where}document declares XML entities; refusing to expand them`);
    }
  });
  parser.on("opentag", (tag) => {
    const element: XmlElement = {
      name: tag.name,
      attrs: tag.attributes as Record<string, string>,
      children: [],
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
    if (stack.length > maxDepth) {
      throw new SourceShapeChangedError(`${where}elements nested deeper than ${maxDepth}`);
    }
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  const onText = (t: string) => {
    const parent = stack[stack.length - 1];
    if (!parent) return;
    const last = parent.children[parent.children.length - 1];
    if (typeof last === "string") parent.children[parent.children.length - 1] = last + t;
    else parent.children.push(t);
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("error", (err) => {
    failure ??= err;
  });

  try {
    parser.write(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).close();
  } catch (err) {
    if (err instanceof SourceShapeChangedError) throw err;
    failure ??= err as Error;
  }
  if (failure) {
    throw new SourceShapeChangedError(`${where}malformed XML: ${failure.message.replace(/^undefined:/, "")}`);
  }
  if (!root) throw new SourceShapeChangedError(`${where}no root element`);
  return root;
}

/** Element children only. */
export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== "string");
}

export function firstChild(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) if (typeof c !== "string" && c.name === name) return c;
  return undefined;
}

/** All text beneath an element, in document order. */
export function textOf(node: XmlNode): string {
  if (typeof node === "string") return node;
  let out = "";
  for (const c of node.children) out += typeof c === "string" ? c : textOf(c);
  return out;
}

/** Depth-first search for every element with a name. */
export function findAll(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (typeof c === "string") continue;
    if (c.name === name) out.push(c);
    findAll(c, name, out);
  }
  return out;
}
