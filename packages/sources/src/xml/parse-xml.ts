import { runSteps } from "../steps.ts";
import { type StreamXmlOptions, streamXmlSteps } from "./stream-xml.ts";

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export type ParseXmlOptions = StreamXmlOptions;

/** Strict XML to a small element tree, for documents small enough that a tree is the clearer way to read them. */
export function parseXml(text: string | Iterable<string>, options: ParseXmlOptions = {}): XmlElement {
  return runSteps(parseXmlSteps(text, options));
}

/** `parseXml` a slice at a time (see `streamXmlSteps`). */
export function* parseXmlSteps(
  text: string | Iterable<string>,
  options: ParseXmlOptions = {},
): Generator<void, XmlElement> {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  yield* streamXmlSteps(
    text,
    {
      open(name, attrs) {
        const element: XmlElement = { name, attrs, children: [] };
        const parent = stack[stack.length - 1];
        if (parent) parent.children.push(element);
        else root = element;
        stack.push(element);
      },
      close() {
        stack.pop();
      },
      text(t) {
        const parent = stack[stack.length - 1]!;
        const last = parent.children[parent.children.length - 1];
        if (typeof last === "string") parent.children[parent.children.length - 1] = last + t;
        else parent.children.push(t);
      },
    },
    options,
  );
  return root!;
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
