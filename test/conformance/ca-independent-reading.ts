import { XMLParser } from "fast-xml-parser";

// A second, independent reading of Justice Laws XML for the conformance
// suite: another XML parser and its own walk, following the key convention
// documented for ca.export-control-list ("5506(2)(a)(i)", "group-2(b)",
// "<item>.note", "<item>.note.1", "s.2(a)", "s.1:Guide"). It shares no code
// with the parser it checks.

type Node = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false,
  processEntities: true,
  parseTagValue: false,
});

const tagOf = (n: Node) => Object.keys(n).find((k) => k !== ":@")!;
const kids = (n: Node) => (n[tagOf(n)] as Node[]) ?? [];
const attrs = (n: Node) => (n[":@"] as Record<string, string>) ?? {};
const byTag = (nodes: Node[], tag: string) => nodes.filter((n) => tagOf(n) === tag);

function textContent(nodes: Node[]): string {
  let s = "";
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === "#text") s += String(n["#text"]);
    else if (t === "FootnoteRef") continue;
    else if (t === "Sup") s += `^${textContent(kids(n))}`;
    else s += textContent(kids(n));
  }
  return s;
}

export function comparable(s: string): string {
  return s
    .replace(/[\s\u00a0\u2009\u202f]+/g, " ")
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/ ([,;:.)\]])/g, "$1")
    .replace(/([([]) /g, "$1")
    .trim()
    .normalize("NFC");
}

function ownText(node: Node): string {
  const parts: string[] = [];
  for (const c of kids(node)) {
    const t = tagOf(c);
    if (t === "#text" && String(c["#text"]).trim()) parts.push(String(c["#text"]));
    if (t === "Text") parts.push(textContent(kids(c)));
  }
  return comparable(parts.join(" "));
}

const label = (node: Node) => {
  const l = byTag(kids(node), "Label")[0];
  return l ? comparable(textContent(kids(l))) : null;
};

export interface Reading {
  text: string;
  parent: string | null;
}

export function readList(xml: Buffer): Map<string, Reading> {
  const out = new Map<string, Reading>();
  const doc = parser.parse(xml.toString("utf8").replace(/^\uFEFF/, "")) as Node[];
  const regulation = doc.find((n) => tagOf(n) === "Regulation")!;
  const lang = attrs(regulation)["xml:lang"];
  const body = byTag(kids(regulation), "Body")[0]!;

  const section = (node: Node, key: string, parent: string | null) => {
    out.set(key, { text: ownText(node), parent });
    for (const c of kids(node)) {
      const t = tagOf(c);
      if (t === "Definition") {
        const text = byTag(kids(c), "Text")[0];
        const term = text && byTag(kids(text), lang === "fr" ? "DefinedTermFr" : "DefinedTermEn")[0];
        if (term) section(c, `${key}:${comparable(textContent(kids(term)))}`, key);
      } else if (["Paragraph", "Subparagraph", "Clause", "Subsection"].includes(t)) {
        section(c, `${key}${label(c)}`, key);
      }
    }
  };
  for (const s of byTag(kids(body), "Section")) section(s, `s.${label(s)}`, null);

  const isNote = (n: Node) => label(n) === null && /^(NOTES?|NOTA|REMARQUES?)\s*:?$/i.test(ownText(n));
  const provision = (node: Node, key: string, parent: string | null) => {
    const children = byTag(kids(node), "Provision");
    let text = ownText(node);
    const note = isNote(node);
    if (note) for (const c of children) if (label(c) === null) text = comparable(`${text} ${ownText(c)}`);
    out.set(key, { text, parent });
    let n = 0;
    for (const c of children) {
      const l = label(c);
      if (note && l === null) continue;
      if (l !== null) provision(c, note ? `${key}.${l}` : `${key}${l}`, key);
      else if (isNote(c)) provision(c, `${key}.note`, key);
      else provision(c, `${key}.p${++n}`, key);
    }
  };
  for (const schedule of byTag(kids(regulation), "Schedule")) {
    const form = byTag(kids(schedule), "ScheduleFormHeading")[0];
    if (attrs(schedule).id === "NifProvs" || (form && attrs(form).type === "amending")) continue;
    let group = "";
    let unlabelled = 0;
    for (const c of kids(schedule)) {
      const t = tagOf(c);
      if (t === "Heading") {
        const m = /^GROUPE?\s+(\d+)$/i.exec(label(c) ?? "");
        if (m) {
          group = m[1]!;
          unlabelled = 0;
        }
      } else if (t === "Provision") {
        const l = label(c);
        if (l) provision(c, l, null);
        else provision(c, ++unlabelled === 1 ? `group-${group}` : `group-${group}.p${unlabelled}`, null);
      }
    }
  }
  return attribute(out);
}

/**
 * Notes belong to what they name: a note block ("<provision>.note" and its
 * numbered parts) that names provisions of its item ("clause (B)",
 * "subparagraphs (vi) and (vii)", "sous-alinéa (iii)") is keyed under the
 * deepest provision holding all of them, each name read against the nearest
 * enclosing provision that has it; one naming none stays where it stands.
 */
function attribute(read: Map<string, Reading>): Map<string, Reading> {
  const blocks = [...read.keys()].filter((k) => k.endsWith(".note"));
  const inNote = (k: string) => blocks.some((b) => k === b || k.startsWith(`${b}.`));
  const provision = (k: string) => read.has(k) && !inNote(k);
  const ancestors = (k: string): string[] => {
    const up: string[] = [];
    for (let at: string | null | undefined = k; at; at = read.get(at)?.parent) up.push(at);
    return up;
  };
  const renames = new Map<string, string>();
  for (const block of blocks) {
    const where = read.get(block)!.parent!;
    const words = [block, ...[...read.keys()].filter((k) => k.startsWith(`${block}.`))]
      .map((k) => read.get(k)!.text)
      .join(" ");
    const found: string[] = [];
    const kind =
      /\b(?:(?:sub)?(?:sections?|paragraphs?|clauses?)|(?:sous-)?(?:alinéas?|paragraphes?|divisions?|subdivisions?))\s+((?:\(?[0-9A-Za-z.]{1,6}\))+(?:\s*(?:,|and|or|to|through|et|ou|à)\s+(?:\(?[0-9A-Za-z.]{1,6}\))+)*)/gi;
    for (const hit of words.matchAll(kind)) {
      const rest = words.slice(hit.index + hit[0].length);
      if (/^\s+(?:of|in) (?:the|that)\b|^\s+(?:de la|du|de l[’'])/.test(rest)) continue;
      let last: string | undefined;
      for (const label of hit[1]!.match(/(?:\(?[0-9A-Za-z.]{1,6}\))+/g)!) {
        const asSibling = last ? `${read.get(last)?.parent ?? ""}${label}` : undefined;
        const hitKey =
          asSibling && provision(asSibling)
            ? asSibling
            : ancestors(where)
                .map((a) => `${a}${label}`)
                .find(provision);
        if (hitKey) found.push(hitKey);
        last = hitKey;
      }
    }
    if (!found.length) continue;
    const paths = found.map((k) => ancestors(k).reverse());
    let owner = "";
    for (let depth = 0; paths.every((p) => p[depth] && p[depth] === paths[0]![depth]); depth++)
      owner = paths[0]![depth]!;
    if (owner === where || read.has(`${owner}.note`) || [...renames.values()].includes(`${owner}.note`))
      continue;
    renames.set(block, `${owner}.note`);
  }
  if (!renames.size) return read;
  const rekey = (k: string) => {
    for (const [from, to] of renames)
      if (k === from || k.startsWith(`${from}.`)) return to + k.slice(from.length);
    return k;
  };
  const out = new Map<string, Reading>();
  for (const [k, v] of read) {
    const moved = renames.get(k);
    out.set(rekey(k), {
      text: v.text,
      parent: moved ? moved.slice(0, -".note".length) : v.parent && rekey(v.parent),
    });
  }
  return out;
}

/**
 * What changed between two readings: "added 5506", "removed 5101",
 * "modified s.1:Guide". An entry added or removed along with its parent is
 * part of the parent's change and not listed on its own.
 */
export function expectedChanges(before: Map<string, Reading>, after: Map<string, Reading>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) {
    if (!before.has(k)) {
      if (!(v.parent && !before.has(v.parent) && after.has(v.parent))) out.push(`added ${k}`);
    } else if (before.get(k)!.text !== v.text) out.push(`modified ${k}`);
  }
  for (const [k, v] of before) {
    if (!after.has(k) && !(v.parent && !after.has(v.parent) && before.has(v.parent)))
      out.push(`removed ${k}`);
  }
  return out.sort();
}
