import { decodeChunks } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import { normalizeText } from "@regwatch/core/text";
import type { ParseInput } from "../../define-source.ts";
import { childElements, firstChild, parseXml, textOf, type XmlElement } from "../../xml/parse-xml.ts";
import { isoDateOf, refuseHtml } from "./cellar.ts";

/**
 * Cellar's XML notices (`Accept: application/xml;notice=tree` or
 * `notice=branch` on a `resource/celex/…` address [C, SOURCES.md]), read for
 * the facts the SPARQL queries rely on. A notice names each CDM property in
 * capitals (`RESOURCE_LEGAL_ID_CELEX` for `cdm:resource_legal_id_celex`) [C:
 * the samples]; values sit in `VALUE`, links in `SAMEAS/URI` with a `TYPE`
 * ("celex", "eli", "consolidation", "oj"). A branch notice holds one `WORK`
 * with its `EXPRESSION`s inside; a tree notice embeds works
 * (`EMBEDDED_NOTICE/WORK`) with their expressions beside them.
 *
 * The sources fetch through SPARQL; this reader is kept for checking the
 * property names against real notices and for reading a notice when one is
 * what Cellar gives.
 */
export interface NoticeManifestation {
  /** `fmx4`, `xhtml`, `pdfa2a` … */
  type: string;
  /** Its addresses (`…/resource/celex/02009R1223-20191218.ENG.xhtml`). */
  uris: string[];
}

export interface NoticeExpression {
  /** Cellar's three-letter code: ENG, DEU … */
  language: string | null;
  title: string | null;
  manifestations: NoticeManifestation[];
}

export interface NoticeWork {
  celex: string | null;
  /** `cdm:` classes: `cdm:act_consolidated`, `cdm:resource_legal` … */
  classes: string[];
  eli: string | null;
  dateDocument: string | null;
  entryIntoForce: string[];
  /** For a consolidated version: the CELEX of the act it consolidates. */
  consolidates: string | null;
  /** Addresses the work is also known by, by system ("celex", "consolidation", "oj", "eli"). */
  sameAs: Record<string, string[]>;
  expressions: NoticeExpression[];
}

export interface CellarNotice {
  /** The root's `type`: "tree", "branch", "object" … */
  type: string | null;
  works: NoticeWork[];
}

const value = (el: XmlElement | undefined): string | null => {
  const v = el ? firstChild(el, "VALUE") : undefined;
  const text = v ? normalizeText(textOf(v)) : "";
  return text || null;
};

const all = (el: XmlElement, name: string) => childElements(el).filter((c) => c.name === name);

function sameAs(el: XmlElement): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of all(el, "SAMEAS")) {
    const uri = firstChild(s, "URI");
    const system = uri ? normalizeText(textOf(firstChild(uri, "TYPE") ?? "")) : "";
    const id = uri ? normalizeText(textOf(firstChild(uri, "IDENTIFIER") ?? "")) : "";
    if (!system || !id) continue;
    out[system] = [...(out[system] ?? []), id];
  }
  return out;
}

function expression(el: XmlElement): NoticeExpression {
  const uses = firstChild(el, "EXPRESSION_USES_LANGUAGE");
  const language =
    normalizeText(textOf(firstChild(el, "LANG") ?? "")) ||
    (uses ? normalizeText(textOf(firstChild(uses, "IDENTIFIER") ?? "")) : "") ||
    null;
  const manifestations = all(el, "MANIFESTATION").map((m) => {
    const typed = all(m, "TYPE").find((t) => t.attrs.type === "data");
    const type =
      value(typed) ?? value(firstChild(m, "MANIFESTATION_TYPE")) ?? m.attrs["manifestation-type"] ?? "";
    const uris = [value(firstChild(m, "URI")), ...all(m, "SAMEAS").map((s) => value(firstChild(s, "URI")))];
    return { type, uris: uris.filter((u): u is string => u !== null) };
  });
  // A tree notice links its manifestations instead (`…/oj/JOC_2017_093_R_0034.ENG.fmx4`): the suffix is the type.
  for (const link of all(el, "EXPRESSION_MANIFESTED_BY_MANIFESTATION")) {
    const uris = all(link, "SAMEAS")
      .map((s) => value(firstChild(s, "URI")))
      .filter((u): u is string => u !== null);
    const type = /\.([a-z0-9]+)$/i.exec(uris[0] ?? "")?.[1];
    if (type) manifestations.push({ type, uris });
  }
  return { language, title: value(firstChild(el, "EXPRESSION_TITLE")), manifestations };
}

function work(el: XmlElement, siblings: XmlElement[]): NoticeWork {
  const date = (name: string) =>
    all(el, name)
      .map((d) => isoDateOf(value(d) ?? ""))
      .filter((d): d is string => d !== null);
  const basedOn = firstChild(el, "ACT_CONSOLIDATED_BASED_ON_RESOURCE_LEGAL");
  return {
    celex: value(firstChild(el, "RESOURCE_LEGAL_ID_CELEX")),
    classes: all(el, "TYPE")
      .map((t) => normalizeText(textOf(t)))
      .filter((t) => t.startsWith("cdm:")),
    eli: value(firstChild(el, "ELI")),
    dateDocument: date("WORK_DATE_DOCUMENT")[0] ?? null,
    entryIntoForce: date("RESOURCE_LEGAL_DATE_ENTRY-INTO-FORCE").sort(),
    consolidates: basedOn ? (sameAs(basedOn).celex?.[0] ?? null) : null,
    sameAs: sameAs(el),
    expressions: [...all(el, "EXPRESSION"), ...siblings].map(expression),
  };
}

/** A Cellar notice → its works. Strict: HTML, malformed XML or a root other than `NOTICE` is refused. */
export function readCellarNotice(input: ParseInput): CellarNotice {
  const where = input.url ? `Cellar notice (${input.url})` : "Cellar notice";
  refuseHtml(Buffer.from(input.body.subarray(0, 4096)).toString("latin1"), input.contentType, where);
  const root = parseXml(decodeChunks(input.body, input.contentType).chunks, { fileName: where });
  if (root.name !== "NOTICE")
    throw new SourceShapeChangedError(`${where}: root <${root.name}>, expected <NOTICE>`);
  const works: NoticeWork[] = [];
  const visit = (el: XmlElement) => {
    const kids = childElements(el);
    for (const c of kids) {
      if (c.name === "WORK")
        works.push(
          work(
            c,
            kids.filter((k) => k.name === "EXPRESSION"),
          ),
        );
      else visit(c);
    }
  };
  visit(root);
  return { type: root.attrs.type ?? null, works };
}
