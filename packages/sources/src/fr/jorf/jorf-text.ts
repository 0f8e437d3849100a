// A text of the Journal officiel as the readers hand it to the parse: the
// same shape whether it came from a Légifrance page or a PISTE answer.

export const LEGIFRANCE_ORIGIN = "https://www.legifrance.gouv.fr";

/** A NOR: ministry (3 letters), office (1), year (2), number (5), kind (1: A arrêté, D décret …). */
export const NOR_PATTERN = /^[A-Z]{4}\d{7}[A-Z]$/;
export const JORFTEXT_PATTERN = /^JORFTEXT\d{12}$/;

/** One article (or annex) of a text: its heading as written and its text, one line per paragraph. */
export interface JorfArticle {
  name: string;
  text: string;
}

/** A link to another JORF text ("Modifié par", versions): where it points and what it is called. */
export interface JorfLink {
  url: string;
  cid: string | null;
  nor: string | null;
  title: string;
}

/** A text of the Journal officiel as read from a Légifrance page or a PISTE answer, before it is a document. */
export interface JorfText {
  via: "page" | "api";
  nor: string;
  /** The JORFTEXT id, when the page or answer gives it. */
  cid: string | null;
  /** The ELI path ("/eli/arrete/2024/2/2/ECOI2401482A/jo/texte"), when given. */
  eli: string | null;
  title: string;
  /** The issue of the Journal officiel: number ("0034") and date. */
  jorf: { number: string | null; date: string };
  visas: string;
  articles: JorfArticle[];
  annex: JorfArticle[];
  signature: string;
  /** NORs of texts this one declares it modifies (the API's `liens`); empty for pages. */
  declaredAmends: string[];
  /** "Modifié par" and version links (pages only). */
  modifiedBy: JorfLink[];
  warnings: string[];
}
