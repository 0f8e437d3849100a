// Our XML scanner against saxes (the tokenizer it replaced) on every XML
// sample: the same elements, attributes and text, or both refuse the file.
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeChunks, decodeText } from "@regwatch/core/encoding";
import { XmlScanner } from "@regwatch/sources/xml/scan-xml";
import { SaxesParser } from "saxes";
import { describe, expect, it } from "vitest";
import { readSample, SAMPLES } from "./samples-dir.ts";

function xmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? xmlFiles(join(dir, e.name)) : e.name.endsWith(".xml") ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** Events with adjacent text merged: `<name [attrs]`, `>name` for an end tag, `"text`. */
class Collector {
  readonly events: string[] = [];
  private text = "";
  open(name: string, attrs: Record<string, string>): void {
    this.flush();
    this.events.push(`<${name} ${JSON.stringify(Object.entries(attrs))}`);
  }
  close(name: string): void {
    this.flush();
    this.events.push(`>${name}`);
  }
  addText(t: string): void {
    this.text += t;
  }
  flush(): void {
    if (this.text !== "") this.events.push(`"${this.text}`);
    this.text = "";
  }
}

const withoutBom = (chunks: Iterable<string>) =>
  Array.from(chunks, (c, i) => (i === 0 && c.charCodeAt(0) === 0xfeff ? c.slice(1) : c));

function saxesEvents(chunks: string[]): string[] {
  const parser = new SaxesParser();
  const out = new Collector();
  let depth = 0;
  parser.on("opentag", (tag) => {
    depth++;
    out.open(tag.name, tag.attributes as Record<string, string>);
  });
  parser.on("closetag", (tag) => {
    depth--;
    out.close(tag.name);
  });
  parser.on("text", (t) => {
    if (depth > 0) out.addText(t);
  });
  parser.on("cdata", (t) => {
    if (depth > 0) out.addText(t);
  });
  parser.on("error", (err) => {
    throw err;
  });
  for (const c of chunks) parser.write(c);
  parser.close();
  out.flush();
  return out.events;
}

function scannerEvents(chunks: string[]): string[] {
  const out = new Collector();
  const scanner = new XmlScanner({
    open: (name, attrs) => out.open(name, attrs),
    close: (name) => out.close(name),
    text: (t) => out.addText(t),
  });
  for (const c of chunks) scanner.write(c);
  scanner.end();
  out.flush();
  return out.events;
}

/** Compact enough to print: counts and a hash, plus the first difference when there is one. */
function summary(events: string[]) {
  const hash = createHash("sha256");
  for (const e of events) hash.update(e).update("\0");
  return {
    events: events.length,
    elements: events.filter((e) => e.startsWith("<")).length,
    sha256: hash.digest("hex").slice(0, 16),
  };
}
function firstDifference(ours: string[], theirs: string[]): string {
  const i = ours.findIndex((e, j) => e !== theirs[j]);
  const at = i === -1 ? ours.length : i;
  return `first difference at event ${at}: ours ${JSON.stringify(ours[at]?.slice(0, 200))}, saxes ${JSON.stringify(theirs[at]?.slice(0, 200))}`;
}

const rejects = (f: () => unknown) => {
  try {
    f();
    return false;
  } catch {
    return true;
  }
};

function slices(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe("the XML scanner gives the same events as saxes on every XML sample", () => {
  const files = xmlFiles(SAMPLES);
  const rejectedBySaxes: string[] = [];

  it("finds the XML samples", () => {
    expect(files.length).toBeGreaterThan(40);
  });

  for (const file of files) {
    const name = file.slice(SAMPLES.length + 1);
    it(name, () => {
      const bytes = readSample(file);
      const whole = withoutBom([decodeText(bytes).text]);
      let theirs: string[];
      try {
        theirs = saxesEvents(whole);
      } catch {
        rejectedBySaxes.push(name);
        expect(
          rejects(() => scannerEvents(whole)),
          "saxes rejects it, so must we",
        ).toBe(true);
        return;
      }
      const expected = summary(theirs);
      const feeds = {
        whole,
        "1 MiB slices": withoutBom(decodeChunks(bytes).chunks),
        "4093-character slices": slices(whole[0]!, 4093),
      };
      for (const [feed, chunks] of Object.entries(feeds)) {
        const ours = scannerEvents(chunks);
        expect(summary(ours), `${feed}; ${firstDifference(ours, theirs)}`).toEqual(expected);
      }
    });
  }

  it("counts the samples saxes rejects (each must be rejected by the scanner too)", () => {
    // None of the samples is malformed today; a new one that is shows up here by name.
    expect(rejectedBySaxes).toEqual([]);
  });
});
