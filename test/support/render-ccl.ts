// Renders CCL content (the shape of samples/us/ccl-derived-json-*.json) into
// eCFR versioner XML for Part 774, as SOURCES.md describes the live markup.
// Test and benchmark tooling only: the real feed is XML, never this JSON.

export interface CclItem {
  paragraph: string | null;
  kind: "item" | "note" | "text";
  depth: number;
  text: string;
}

export interface CclEntry {
  eccn: string;
  category: string;
  productGroup: string;
  heading: string;
  reasonForControl: string | null;
  countryChart: { control: string; countryChart: string }[];
  licenceExceptionFlags: Record<string, string>;
  relatedControls: string | null;
  items?: CclItem[] | null;
}

const CATEGORY_TITLES: Record<string, string> = {
  "0": "Nuclear Materials, Facilities, and Equipment [and Miscellaneous Items]",
  "1": "Special Materials and Related Equipment, Chemicals, \u201cMicroorganisms,\u201d and \u201cToxins\u201d",
  "2": "Materials Processing",
  "3": "Electronics",
  "4": "Computers",
  "5": "Telecommunications and \u201cInformation Security\u201d",
  "6": "Sensors and Lasers",
  "7": "Navigation and Avionics",
  "8": "Marine",
  "9": "Aerospace and Propulsion",
};

const GROUP_TITLES: Record<string, string> = {
  A: "A. \u201cEnd Items,\u201d \u201cEquipment,\u201d \u201cAccessories,\u201d \u201cAttachments,\u201d \u201cParts,\u201d \u201cComponents,\u201d and \u201cSystems\u201d",
  B: "B. Test, Inspection and Production Equipment",
  C: "C. \u201cMaterials\u201d",
  D: "D. \u201cSoftware\u201d",
  E: "E. \u201cTechnology\u201d",
};

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Non-ASCII as numeric character references, the way the eCFR versioner writes them. */
function ecfrText(text: string): string {
  return escapeXml(text).replace(
    /[^\x00-\x7f]/gu,
    (c) => `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`,
  );
}

export function renderEccn(e: CclEntry): string {
  const out: string[] = [];
  out.push(`<FP-2><B>${ecfrText(`${e.eccn} ${e.heading}`)}</B></FP-2>`);
  out.push("<HD1>License Requirements</HD1>");
  out.push(`<FP-1><I>Reason for Control:</I> ${ecfrText(e.reasonForControl ?? "N/A")}</FP-1>`);
  if (e.countryChart.length) {
    out.push('<TABLE border="1" cellpadding="1" cellspacing="1" frame="void" width="100%">');
    out.push("<TR><TH>Control(s)</TH><TH>Country chart (see Supp. No. 1 to part 738)</TH></TR>");
    for (const row of e.countryChart) {
      out.push(`<TR><TD>${ecfrText(row.control)}</TD><TD>${ecfrText(row.countryChart)}</TD></TR>`);
    }
    out.push("</TABLE>");
  }
  out.push(
    "<HD1>List Based License Exceptions (See Part 740 for a description of all license exceptions)</HD1>",
  );
  for (const [name, value] of Object.entries(e.licenceExceptionFlags)) {
    out.push(`<FP-1><I>${ecfrText(name)}:</I> ${ecfrText(value)}</FP-1>`);
  }
  out.push("<HD1>List of Items Controlled</HD1>");
  out.push(`<FP-1><I>Related Controls:</I> ${ecfrText(e.relatedControls ?? "N/A")}</FP-1>`);
  out.push("<FP-1><I>Related Definitions:</I> N/A</FP-1>");
  out.push("<FP-1><I>Items:</I></FP-1>");
  for (const item of e.items ?? []) {
    if (item.kind === "item" && item.paragraph)
      out.push(`<P>${ecfrText(`${item.paragraph}. ${item.text}`)}</P>`);
    else if (item.kind === "note" && item.paragraph)
      out.push(`<P>${ecfrText(`${item.paragraph}. ${item.text}`)}</P>`);
    else out.push(`<NOTE><HED>Note:</HED><P>${ecfrText(item.text)}</P></NOTE>`);
  }
  return out.join("\n");
}

export function renderCclXml(entries: readonly CclEntry[]): string {
  const out: string[] = [
    '<?xml version="1.0"?>',
    '<DIV5 N="774" TYPE="PART" VOLUME="2" hierarchy_metadata="{&quot;path&quot;:&quot;/on/_SUBSTITUTE_DATE_/title-15/part-774&quot;,&quot;citation&quot;:&quot;15 CFR Part 774&quot;}">',
    "<HEAD>PART 774&#x2014;THE COMMERCE CONTROL LIST</HEAD>",
    '<DIV8 N="774.1" TYPE="SECTION"><HEAD>&#xA7; 774.1 Introduction.</HEAD><P>In this part, references to the EAR are references to 15 CFR chapter VII, subchapter C.</P></DIV8>',
    '<DIV9 N="Supplement No. 1 to Part 774" TYPE="APPENDIX">',
    "<HEAD>Supplement No. 1 to Part 774&#x2014;The Commerce Control List</HEAD>",
  ];
  let category = "";
  let group = "";
  for (const e of entries) {
    if (e.category !== category) {
      category = e.category;
      group = "";
      out.push(`<HD1>Category ${category}&#x2014;${ecfrText(CATEGORY_TITLES[category] ?? "")}</HD1>`);
    }
    if (e.productGroup !== group) {
      group = e.productGroup;
      out.push(`<HD1>${ecfrText(GROUP_TITLES[group] ?? group)}</HD1>`);
    }
    out.push(renderEccn(e));
  }
  out.push("</DIV9>", "</DIV5>", "");
  return out.join("\n");
}
