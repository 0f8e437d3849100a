import { decodeText } from "@regwatch/core/encoding";
import { SourceShapeChangedError } from "@regwatch/core/errors";
import type { DocumentsSnapshot, RegDocument } from "@regwatch/core/schemas";
import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { isCalendarDay } from "../../dates.ts";
import type { ParsedSnapshot, ParseInput } from "../../define-source.ts";
import { childElements, firstChild, parseXml, textOf, type XmlElement } from "../../xml/parse-xml.ts";

export const PARSER_VERSION = "es.boe.export-control/1";
export const BOE_ORIGIN = "https://www.boe.es";

/** The regulation whose annexes hold Spain's control lists (Reglamento aprobado por el Real Decreto 679/2014). */
export const EXPORT_CONTROL_REGULATION = "Real Decreto 679/2014";

const clean = (s: string) => normalizeText(s).normalize("NFC");

/** Lower case, accents removed, spaces collapsed: the form every keyword rule is matched against. */
export function fold(s: string): string {
  return clean(s).normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ");
}

// ---------------------------------------------------------------------------
// The filter: which summary items are candidate export-control orders.
// ---------------------------------------------------------------------------

/**
 * Title keywords (folded: lower case, no accents). An order that changes the
 * control lists names the regulation in its title: "… del Reglamento de
 * control del comercio exterior de material de defensa, de otro material y de
 * productos y tecnologías de doble uso, aprobado por el Real Decreto
 * 679/2014, de 1 de agosto". Any one of these is enough.
 */
export const TITLE_KEYWORDS = [
  "doble uso",
  "material de defensa",
  "real decreto 679/2014",
  "comercio exterior de material de defensa",
] as const;

/**
 * Departments (folded) that sign these orders: the trade ministry under its
 * successive names (Industria, Turismo y Comercio → ITC; Economía y
 * Competitividad → ECC; Industria, Comercio y Turismo → ICT; Economía,
 * Comercio y Empresa → ECM), and the Ministerio de la Presidencia, under
 * which joint orders of several ministries are published (PRA/PCI/PCM).
 */
export const DEPARTMENT_KEYWORDS = ["comercio", "economia", "presidencia"] as const;

/** Why a summary item was kept or left out, rule by rule. */
export interface FilterVerdict {
  section: boolean;
  department: boolean;
  order: boolean;
  title: boolean;
  keep: boolean;
}

/**
 * The rules, all required: section I (disposiciones generales: `num="1"` in
 * the legacy summary, `codigo="1"` in the open-data API); a department
 * matching DEPARTMENT_KEYWORDS; a title that starts with "Orden" (a
 * ministerial order, the rank that changes the annexes); a title containing
 * one of TITLE_KEYWORDS. Case- and accent-insensitive.
 */
export function exportControlVerdict(item: {
  section: string;
  department: string;
  title: string;
}): FilterVerdict {
  const title = fold(item.title);
  const department = fold(item.department);
  const verdict = {
    section: item.section.trim() === "1",
    department: DEPARTMENT_KEYWORDS.some((k) => department.includes(k)),
    order: /^orden\b/.test(title),
    title: TITLE_KEYWORDS.some((k) => title.includes(k)),
  };
  return { ...verdict, keep: verdict.section && verdict.department && verdict.order && verdict.title };
}

// ---------------------------------------------------------------------------
// Dates.
// ---------------------------------------------------------------------------

/** BOE's `YYYYMMDD` (fecha_disposicion, fecha_publicacion, fecha_vigencia) → ISO; anything else → null. */
export function parseBoeDate(value: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** The legacy summary's `DD/MM/YYYY` → ISO; anything else → null. */
export function parseSlashDate(value: string): string | null {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value.trim());
  if (!m || !isCalendarDay(Number(m[3]), Number(m[2]), Number(m[1]))) return null;
  return `${m[3]}-${m[2]}-${m[1]}`;
}

// ---------------------------------------------------------------------------
// The daily summary (sumario).
// ---------------------------------------------------------------------------

export interface SumarioItem {
  id: string;
  title: string;
  /** "1", "2A", "5B" … */
  section: string;
  sectionName: string;
  department: string;
  epigraph: string | null;
  urlXml: string | null;
  urlPdf: string | null;
  urlHtml: string | null;
}

export interface Sumario {
  /** `legacy`: xml.php?id=BOE-S-…; `api`: /datosabiertos/api/boe/sumario/YYYYMMDD. */
  format: "legacy" | "api";
  id: string | null;
  date: string | null;
  issue: string | null;
  items: SumarioItem[];
}

const absolute = (url: string | null) => (url ? new URL(url, BOE_ORIGIN).toString() : null);
const childText = (el: XmlElement, name: string) => {
  const c = firstChild(el, name);
  return c ? clean(textOf(c)) || null : null;
};

function findAll(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of childElements(el)) {
    if (c.name === name) out.push(c);
    findAll(c, name, out);
  }
  return out;
}

/**
 * A summary → its items. Two formats:
 * - legacy [C, the samples]: `<sumario><meta><fecha>DD/MM/YYYY</fecha>…<diario nbo>`
 *   `<seccion num nombre><departamento nombre etq><epigrafe nombre><item id control>`
 *   with `<titulo>`, `<urlPdf>`, `<urlHtm>`, `<urlXml>`;
 * - open-data API [I, from BOE's API documentation, no sample]: `<response><status><code>200`
 *   `<data><sumario><metadatos><fecha_publicacion>YYYYMMDD</…><diario numero>`
 *   `<sumario_diario><identificador>`, `<seccion codigo nombre><departamento codigo nombre>`
 *   `[<epigrafe nombre>]<item><identificador><titulo><url_pdf><url_html><url_xml>`.
 */
export function parseSumario(input: ParseInput): Sumario {
  const root = readXml(input, "BOE summary");
  const fileName = input.url ?? "BOE summary";
  if (root.name === "sumario" && firstChild(root, "meta")) return legacySumario(root, fileName);
  if (root.name === "response") {
    const code = childText(firstChild(root, "status") ?? root, "code");
    if (code !== "200")
      throw new SourceShapeChangedError(`${fileName}: the API answered status ${code ?? "(none)"}`);
    const sumario = firstChild(firstChild(root, "data") ?? root, "sumario");
    if (sumario) return apiSumario(sumario, fileName);
  }
  throw new SourceShapeChangedError(`${fileName}: root <${root.name}> is not a BOE summary`);
}

function legacySumario(root: XmlElement, fileName: string): Sumario {
  const meta = firstChild(root, "meta")!;
  const fecha = childText(meta, "fecha");
  const date = fecha ? parseSlashDate(fecha) : null;
  if (!date) throw new SourceShapeChangedError(`${fileName}: <fecha> "${fecha ?? ""}" is not DD/MM/YYYY`);
  const diario = firstChild(root, "diario");
  if (!diario) throw new SourceShapeChangedError(`${fileName}: no <diario>`);
  const items: SumarioItem[] = [];
  for (const seccion of findAll(diario, "seccion"))
    for (const dep of findAll(seccion, "departamento"))
      for (const item of findAll(dep, "item")) {
        const epigrafe = findAll(dep, "epigrafe").find((e) => e.children.includes(item));
        items.push(
          sumarioItem(item, item.attrs.id, {
            section: seccion.attrs.num ?? "",
            sectionName: seccion.attrs.nombre ?? "",
            department: dep.attrs.nombre ?? "",
            epigraph: epigrafe?.attrs.nombre ?? null,
            urls: ["urlXml", "urlPdf", "urlHtm"],
            fileName,
          }),
        );
      }
  const id = firstChild(diario, "sumario_nbo")?.attrs.id ?? null;
  return { format: "legacy", id, date, issue: diario.attrs.nbo ?? null, items };
}

function apiSumario(sumario: XmlElement, fileName: string): Sumario {
  const fecha = childText(firstChild(sumario, "metadatos") ?? sumario, "fecha_publicacion");
  const date = fecha ? parseBoeDate(fecha) : null;
  if (!date)
    throw new SourceShapeChangedError(`${fileName}: <fecha_publicacion> "${fecha ?? ""}" is not YYYYMMDD`);
  const items: SumarioItem[] = [];
  let id: string | null = null;
  let issue: string | null = null;
  for (const diario of findAll(sumario, "diario")) {
    issue ??= diario.attrs.numero ?? null;
    id ??= childText(firstChild(diario, "sumario_diario") ?? diario, "identificador");
    for (const seccion of findAll(diario, "seccion"))
      for (const dep of findAll(seccion, "departamento"))
        for (const item of findAll(dep, "item")) {
          const epigrafe = findAll(dep, "epigrafe").find((e) => e.children.includes(item));
          items.push(
            sumarioItem(item, childText(item, "identificador") ?? undefined, {
              section: seccion.attrs.codigo ?? "",
              sectionName: seccion.attrs.nombre ?? "",
              department: dep.attrs.nombre ?? "",
              epigraph: epigrafe?.attrs.nombre ?? null,
              urls: ["url_xml", "url_pdf", "url_html"],
              fileName,
            }),
          );
        }
  }
  return { format: "api", id, date, issue, items };
}

function sumarioItem(
  item: XmlElement,
  id: string | undefined,
  ctx: {
    section: string;
    sectionName: string;
    department: string;
    epigraph: string | null;
    urls: [string, string, string];
    fileName: string;
  },
): SumarioItem {
  if (!id || !/^BOE-[A-Z]-\d{4}-\d+$/.test(id))
    throw new SourceShapeChangedError(`${ctx.fileName}: item id "${id ?? ""}" is not a BOE id`);
  const title = childText(item, "titulo");
  if (!title) throw new SourceShapeChangedError(`${ctx.fileName}: item ${id} has no <titulo>`);
  return {
    id,
    title,
    section: ctx.section,
    sectionName: clean(ctx.sectionName),
    department: clean(ctx.department),
    epigraph: ctx.epigraph ? clean(ctx.epigraph) : null,
    urlXml: absolute(childText(item, ctx.urls[0])),
    urlPdf: absolute(childText(item, ctx.urls[1])),
    urlHtml: absolute(childText(item, ctx.urls[2])),
  };
}

/** The summary's items that pass `exportControlVerdict`. */
export function exportControlItems(sumario: Sumario): SumarioItem[] {
  return sumario.items.filter((item) => exportControlVerdict(item).keep);
}

// ---------------------------------------------------------------------------
// One document (xml.php?id=BOE-A-…).
// ---------------------------------------------------------------------------

/** One entry of `<referencias>`: another BOE document and what this one does to it (or it to this one). */
export interface BoeReference {
  /** BOE id of the other document. */
  id: string;
  /** The verb, as BOE writes it ("SE MODIFICA", "DE CONFORMIDAD con"). */
  verb: string;
  verbCode: string | null;
  text: string;
}

export interface BoeDocument {
  document: RegDocument;
  /** Whether its title, section, department and rank pass the export-control filter. */
  exportControl: boolean;
  warnings: string[];
}

function readXml(input: ParseInput, what: string): XmlElement {
  const { text } = decodeText(input.body, input.contentType ?? "application/xml; charset=utf-8");
  return parseXml(text, { fileName: input.url ?? what });
}

function references(analisis: XmlElement | undefined, group: string, one: string): BoeReference[] {
  const holder = analisis ? firstChild(firstChild(analisis, "referencias") ?? analisis, group) : undefined;
  if (!holder) return [];
  return childElements(holder)
    .filter((e) => e.name === one)
    .map((e) => {
      const palabra = firstChild(e, "palabra");
      return {
        id: e.attrs.referencia ?? "",
        verb: palabra ? clean(textOf(palabra)) : "",
        verbCode: palabra?.attrs.codigo ?? null,
        text: childText(e, "texto") ?? "",
      };
    });
}

/** The body as text, one line per paragraph (`<p>`, table rows), NFC. */
function bodyText(texto: XmlElement | undefined): string {
  if (!texto) return "";
  const lines: string[] = [];
  const walk = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (c.name === "p" || c.name === "tr" || c.name === "dt" || c.name === "dd" || /^h\d$/.test(c.name)) {
        if (childElements(c).some((k) => k.name === "p" || k.name === "dl")) walk(c);
        else {
          const t = clean(textOf(c));
          if (t) lines.push(t);
        }
      } else walk(c);
    }
  };
  walk(texto);
  return lines.join("\n");
}

// "Orden ICT/534/2023, de 26 de mayo, …": the number when <numero_oficial> is empty.
const TITLE_NUMBER = /^(Orden [A-Z]{2,5}\/\d+\/\d{4})\b/;
const AMENDS_ANNEXES = /\bmodifica\w*\b.*\banexos?\b/;

/**
 * A BOE document XML (`<documento><metadatos>…<analisis>…<texto>`) → a
 * document. Strict: malformed XML, a root other than `<documento>`, or an
 * identifier that is not a BOE id is a changed source; a date that is not
 * `YYYYMMDD` is a warning and no date.
 */
export function parseBoeDocument(input: ParseInput): BoeDocument {
  const fileName = input.url ?? "BOE document";
  const root = readXml(input, "BOE document");
  if (root.name !== "documento")
    throw new SourceShapeChangedError(`${fileName}: root element is <${root.name}>, expected <documento>`);
  const meta = firstChild(root, "metadatos");
  if (!meta) throw new SourceShapeChangedError(`${fileName}: no <metadatos>`);
  const field = (name: string) => childText(meta, name);
  const id = field("identificador");
  if (!id || !/^BOE-[A-Z]-\d{4}-\d+$/.test(id))
    throw new SourceShapeChangedError(`${fileName}: <identificador> "${id ?? ""}" is not a BOE id`);
  const title = field("titulo");
  if (!title) throw new SourceShapeChangedError(`${fileName}: ${id} has no <titulo>`);
  const warnings: string[] = [];
  const date = (name: string) => {
    const raw = field(name);
    if (!raw) return null;
    const iso = parseBoeDate(raw);
    if (!iso) warnings.push(`${id}: <${name}> "${raw}" is not a YYYYMMDD date`);
    return iso;
  };
  const adoptedAt = date("fecha_disposicion");
  const publishedAt = date("fecha_publicacion");
  const effectiveAt = date("fecha_vigencia");
  const repealedAt = date("fecha_derogacion");

  const rank = field("rango");
  const number = field("numero_oficial");
  const citation = rank && number ? `${rank} ${number}` : (TITLE_NUMBER.exec(title)?.[1] ?? null);
  const department = field("departamento");
  const section = field("seccion") ?? "";
  const analisis = firstChild(root, "analisis");
  const earlier = references(analisis, "anteriores", "anterior");
  const later = references(analisis, "posteriores", "posterior");
  const text = bodyText(firstChild(root, "texto"));

  const pdf = absolute(field("url_pdf"));
  const urls: Record<string, string> = {
    xml: `${BOE_ORIGIN}/diario_boe/xml.php?id=${id}`,
    html: `${BOE_ORIGIN}/diario_boe/txt.php?id=${id}`,
  };
  if (pdf) urls.pdf = pdf;
  const eli = field("url_eli");
  if (eli) urls.eli = eli;

  const verdict = exportControlVerdict({ section, department: department ?? "", title });
  const folded = fold(title);
  const glossable = verdict.keep && folded.includes("real decreto 679/2014") && AMENDS_ANNEXES.test(folded);

  const document: RegDocument = {
    id,
    stage: "published",
    type: rank,
    title,
    abstract: text || null,
    citation,
    publishedAt,
    effectiveAt,
    url: urls.html!,
    urls,
    // The BOE documents it acts on (its earlier references): how a list diff finds its amendment.
    cfrReferences: [...new Set(earlier.map((r) => r.id).filter(Boolean))],
    // The shared taxonomy's rules (Spanish ones are being added for issue 10).
    technologies: technologiesForText(`${title}\n${text}`),
    countries: [],
    data: {
      language: "es",
      // A gloss from the known regulation name, never a translation of the text.
      titleEn: glossable
        ? `Order amending the annexes of the Regulation on the control of foreign trade in defence material, other material and dual-use items (${EXPORT_CONTROL_REGULATION})`
        : null,
      department,
      departmentCode: firstChild(meta, "departamento")?.attrs.codigo ?? null,
      section,
      adoptedAt,
      repealedAt,
      issue: field("diario_numero"),
      pages: [field("pagina_inicial"), field("pagina_final")],
      legislativeStatus: field("estatus_legislativo"),
      updatedAt: root.attrs.fecha_actualizacion ?? null,
      subjects: analisis
        ? findAll(firstChild(analisis, "materias") ?? analisis, "materia").map((m) => clean(textOf(m)))
        : [],
      references: { earlier, later },
    },
  };
  return { document, exportControl: verdict.keep, warnings };
}

// ---------------------------------------------------------------------------
// The source's parse: a summary or a document, told apart by the root element.
// ---------------------------------------------------------------------------

export interface BoeMeta extends Record<string, unknown> {
  /** `sumario` or `documento`. */
  read: "sumario" | "documento";
  /** For a summary: its date, format, item count and the candidates the filter kept. */
  sumario?: {
    format: Sumario["format"];
    id: string | null;
    date: string;
    items: number;
    candidates: { id: string; title: string; department: string; urlXml: string | null }[];
  };
  /** BOE ids read and left out because they are not export-control orders. */
  excluded: string[];
}

/**
 * One fetched body → a `documents` snapshot. A summary gives no document (its
 * candidates are in `meta`; the feed is cumulative, so no document is removed
 * by absence); a document gives itself when it passes the filter, else none.
 */
export function parseBoe(input: ParseInput): ParsedSnapshot<DocumentsSnapshot, BoeMeta> {
  const root = readXml(input, "BOE body");
  if (root.name === "documento") {
    const doc = parseBoeDocument(input);
    return doc.exportControl
      ? {
          kind: "documents",
          meta: { read: "documento", excluded: [] },
          warnings: doc.warnings,
          documents: [doc.document],
        }
      : {
          kind: "documents",
          meta: { read: "documento", excluded: [doc.document.id] },
          warnings: [],
          documents: [],
        };
  }
  const sumario = parseSumario(input);
  const candidates = exportControlItems(sumario);
  return {
    kind: "documents",
    meta: {
      read: "sumario",
      sumario: {
        format: sumario.format,
        id: sumario.id,
        date: sumario.date!,
        items: sumario.items.length,
        candidates: candidates.map((c) => ({
          id: c.id,
          title: c.title,
          department: c.department,
          urlXml: c.urlXml,
        })),
      },
      excluded: [],
    },
    warnings: [],
    documents: [],
  };
}
