import { decodeChunks } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import type { ParseInput } from "../../define-source.ts";
import {
  childElements,
  firstChild,
  parseXmlSteps,
  type XmlElement,
  type XmlNode,
} from "../../xml/parse-xml.ts";
import { compactDate, refuseHtml } from "../cellar-acts/cellar.ts";
import { isZip, readZip } from "./zip.ts";

/**
 * The generic parts of a Formex 4 reader (the Publications Office's XML for
 * the Official Journal and consolidated texts): what any act gives, whatever
 * list it holds. Elements read here and their meaning [C: the real samples of
 * an OJ act (ACT) and a consolidated act (CONS.ACT) in ../shared/samples/eu;
 * the Formex schema itself is not in the library, so anything beyond the
 * samples is marked [I]]:
 *
 * - `ACT` (an act as published): `BIB.INSTANCE` (`DOCUMENT.REF`, `DATE ISO`,
 *   `LG.DOC`, `NO.DOC`), `TITLE/TI/P`, `PREAMBLE`, `ENACTING.TERMS` with
 *   `DIVISION` and `ARTICLE` (`TI.ART`, `STI.ART`, `PARAG`/`NO.PARAG`,
 *   `ALINEA`), `FINAL`; annexes of an OJ act are separate `ANNEX` documents.
 * - `CONS.ACT` (a consolidated version): `INFO.CONSLEG` (`CONSLEG.REF`
 *   "2021R0821", `CONSLEG.DATE`, `START.DATE` the date the text speaks as of,
 *   `END.DATE` "99999999" while current), `INFO.PROD`, `CONS.DOC` holding
 *   `FAM.COMP` (the act and its `GR.MOD.ACT/MOD.ACT` amendments with
 *   `NO.CELEX`), `TITLE`, `ENACTING.TERMS`, `FINAL` and the annexes inline as
 *   `CONS.ANNEX` (`TITLE/TI`, `CONTENTS`).
 * - Text: `P`, `NP` (`NO.P` label + `TXT`), `LIST TYPE`/`ITEM`, `GR.SEQ
 *   LEVEL` with a `TITLE`, `TBL/CORPUS/ROW/CELL`, inline `HT TYPE` (UC, BOLD,
 *   ITALIC, and SUP/SUB [I]), `QUOT.START`/`QUOT.END CODE` (the quote mark's
 *   code point in hex), `FT`, `DATE`, `REF.DOC.OJ`, `IE` (an intentionally
 *   empty cell), footnotes `NOTE` (kept out of text), and processing
 *   instructions (`<?PAGE?>`, `<?CLG.MDFO?>`: page breaks and amendment
 *   markers, never text).
 *
 * Cellar may serve a manifestation as a zip of files [I]: the one whose root is
 * an act is read.
 */
export type FormexRoot = "ACT" | "CONS.ACT";
const ROOTS = new Set<string>(["ACT", "CONS.ACT"]);

export interface FormexDocument {
  root: XmlElement;
  /** The zip member it came from, when the body was a zip. */
  member: string | null;
  /** Other members of a zip that are Formex but not the act (an OJ act's `ANNEX` files). */
  companions: XmlElement[];
}

/** The act of a Formex body: XML, or a zip holding it. HTML (a challenge page) and anything else are refused. */
export function* readFormexSteps(
  input: ParseInput,
  what = "Formex document",
): Generator<void, FormexDocument> {
  const where = input.url ? `${what} (${input.url})` : what;
  if (isZip(input.body)) {
    const members = readZip(input.body, where).filter((m) => /\.xml$/i.test(m.name));
    const acts: { root: XmlElement; name: string }[] = [];
    const companions: XmlElement[] = [];
    for (const m of members) {
      const root = yield* readXmlSteps(m.data, null, `${where}, member ${m.name}`);
      if (ROOTS.has(root.name)) acts.push({ root, name: m.name });
      else if (root.name === "ANNEX") companions.push(root);
    }
    if (acts.length !== 1)
      throw new SourceShapeChangedError(
        `${where}: ${acts.length} members with an ACT or CONS.ACT root (${members.map((m) => m.name).join(", ") || "no XML members"}); expected one`,
      );
    return { root: acts[0]!.root, member: acts[0]!.name, companions };
  }
  const root = yield* readXmlSteps(input.body, input.contentType, where);
  if (!ROOTS.has(root.name))
    throw new SourceShapeChangedError(`${where}: root <${root.name}> is not a Formex act (ACT or CONS.ACT)`);
  return { root, member: null, companions: [] };
}

function* readXmlSteps(body: Uint8Array, contentType: string | null | undefined, where: string) {
  refuseHtml(Buffer.from(body.subarray(0, 4096)).toString("latin1"), contentType, where);
  const { chunks } = decodeChunks(body, contentType);
  return yield* parseXmlSteps(chunks, { fileName: where });
}

// ---------------------------------------------------------------------------
// Text.
// ---------------------------------------------------------------------------

/**
 * Elements whose content is never text: footnotes and an intentionally empty
 * cell. An image (`INCL.ELEMENT`) is text only through the transcription
 * Formex may give it (`IMG.CNT`) [C: the consolidated sample transcribes a
 * form that way].
 */
const NOT_TEXT = new Set(["NOTE", "GR.NOTES", "IE"]);
/** Elements that start a new line of text when they sit inside another's text. */
const BLOCKS = new Set([
  "P",
  "NP",
  "ALINEA",
  "LIST",
  "ITEM",
  "TXT",
  "ROW",
  "CELL",
  "TI",
  "STI",
  "PARAG",
  "IMG.CNT",
]);

/**
 * The text of a Formex node as it reads: footnotes out, quote marks from
 * their code point, superscripts marked with a caret ("10^-3") so that an
 * exponent does not run into its base, nested blocks separated by a space.
 * Not normalized (see `formexText`).
 */
export function rawText(node: XmlNode): string {
  if (typeof node === "string") return node;
  if (NOT_TEXT.has(node.name)) return "";
  if (node.name === "QUOT.START" || node.name === "QUOT.END") {
    const code = Number.parseInt(node.attrs.CODE ?? "", 16);
    return Number.isFinite(code) && code > 0x1f ? String.fromCodePoint(code) : '"';
  }
  let out = "";
  for (const c of node.children) {
    if (typeof c !== "string" && BLOCKS.has(c.name)) out += ` ${rawText(c)} `;
    else out += rawText(c);
  }
  if (node.name === "HT" && node.attrs.TYPE === "SUP") return `^${out}`;
  return out;
}

/** `rawText`, whitespace collapsed and NFC. */
export function formexText(node: XmlNode | undefined): string {
  return node === undefined ? "" : normalizeText(rawText(node)).normalize("NFC");
}

/** A `TITLE`'s `TI` and `STI` as one line. */
export function titleText(title: XmlElement | undefined): { ti: string; sti: string } {
  if (!title) return { ti: "", sti: "" };
  return { ti: formexText(firstChild(title, "TI")), sti: formexText(firstChild(title, "STI")) };
}

/** Every descendant named `name`, in document order, not looking inside `skip`. */
export function descendants(
  el: XmlElement,
  name: string,
  skip: ReadonlySet<string> = new Set(),
): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of childElements(e)) {
      if (c.name === name) out.push(c);
      if (!skip.has(c.name)) walk(c);
    }
  };
  walk(el);
  return out;
}

// ---------------------------------------------------------------------------
// Structure: what any act has.
// ---------------------------------------------------------------------------

export interface FormexConsolidation {
  /** `CONSLEG.REF`: the consolidated act's code, "2021R0821". */
  ref: string;
  /** `START.DATE`: the date this consolidated text speaks as of (the date in its CELEX). */
  startDate: string | null;
  /** `END.DATE`, null while current ("99999999"). */
  endDate: string | null;
  /** `CONSLEG.DATE`. */
  consolidatedOn: string | null;
  /** `INFO.PROD PROD.DATE`: when the Publications Office built it. */
  producedOn: string | null;
}

export interface FormexAmendment {
  celex: string;
  /** The act's date (adoption), `DATE ISO`. */
  date: string | null;
  title: string;
}

export interface FormexStructure {
  root: FormexRoot;
  /** CELEX of the act (`NO.CELEX` of a consolidation's `FAM.COMP`), or null when the act does not say. */
  celex: string | null;
  language: string | null;
  title: string;
  consolidation: FormexConsolidation | null;
  /** Articles of the enacting terms (not those quoted inside an amendment, `QUOT.S`). */
  articles: number;
  divisions: number;
  /** Titles of the annexes in order ("ANNEX I"); for an OJ act, those of its `ANNEX` companions. */
  annexes: string[];
  amendments: FormexAmendment[];
}

const QUOTED = new Set(["QUOT.S"]);

/** The outline of an act, strictly: a consolidation without `INFO.CONSLEG`, or an act without enacting terms, is refused. */
export function formexStructure(doc: FormexDocument, what = "Formex document"): FormexStructure {
  const { root } = doc;
  const body = root.name === "CONS.ACT" ? firstChild(root, "CONS.DOC") : root;
  if (!body) throw new SourceShapeChangedError(`${what}: CONS.ACT without CONS.DOC`);
  const enacting = firstChild(body, "ENACTING.TERMS");
  if (!enacting) throw new SourceShapeChangedError(`${what}: <${root.name}> without ENACTING.TERMS`);
  let consolidation: FormexConsolidation | null = null;
  let celex: string | null = null;
  const amendments: FormexAmendment[] = [];
  if (root.name === "CONS.ACT") {
    const info = firstChild(root, "INFO.CONSLEG");
    if (!info?.attrs["CONSLEG.REF"])
      throw new SourceShapeChangedError(`${what}: CONS.ACT without INFO.CONSLEG`);
    const end = info.attrs["END.DATE"];
    consolidation = {
      ref: info.attrs["CONSLEG.REF"],
      startDate: compactDate(info.attrs["START.DATE"] ?? ""),
      endDate: end && end !== "99999999" ? compactDate(end) : null,
      consolidatedOn: compactDate(info.attrs["CONSLEG.DATE"] ?? ""),
      producedOn: compactDate(firstChild(root, "INFO.PROD")?.attrs["PROD.DATE"] ?? ""),
    };
    const fam = firstChild(body, "FAM.COMP");
    const bib = fam && firstChild(fam, "BIB.DATA");
    celex = bib ? formexText(firstChild(bib, "NO.CELEX")) || null : null;
    for (const mod of fam ? descendants(fam, "MOD.ACT") : []) {
      const data = firstChild(mod, "BIB.DATA");
      const modCelex = data ? formexText(firstChild(data, "NO.CELEX")) : "";
      if (!modCelex) continue;
      const title = firstChild(firstChild(data!, "TITLE") ?? data!, "TI");
      amendments.push({
        celex: modCelex,
        date: compactDate(firstChild(data!, "DATE")?.attrs.ISO ?? ""),
        title: title
          ? childElements(title)
              .map((p) => formexText(p))
              .join(" ")
          : "",
      });
    }
  }
  const bib = firstChild(body, "BIB.INSTANCE");
  const language = bib ? formexText(firstChild(bib, "LG.DOC")) || null : null;
  const annexTitles =
    root.name === "CONS.ACT"
      ? childElements(body)
          .filter((c) => c.name === "CONS.ANNEX")
          .map((a) => titleText(firstChild(a, "TITLE")).ti)
      : doc.companions.map((a) => titleText(firstChild(a, "TITLE")).ti);
  const title = firstChild(body, "TITLE");
  return {
    root: root.name as FormexRoot,
    celex,
    language,
    title: title
      ? childElements(firstChild(title, "TI") ?? title)
          .map((p) => formexText(p))
          .join(" ")
      : "",
    consolidation,
    articles: descendants(enacting, "ARTICLE", QUOTED).length,
    divisions: descendants(enacting, "DIVISION", QUOTED).length,
    annexes: annexTitles,
    amendments,
  };
}
