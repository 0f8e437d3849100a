// Builds Export Control List documents in the Justice Laws XML format at a
// realistic size (the real list has 190–330 entries; the source expects at
// least 120), for tests that run the whole pipeline on the embedded database.

export interface EclItem {
  label: string;
  text: string;
  inForce?: string;
}

export function eclItems(count: number): EclItem[] {
  return Array.from({ length: count }, (_, i) => ({
    label: String(5101 + i),
    text: `Goods of kind ${i + 1}, as described in the Guide. (All destinations)`,
  }));
}

export function buildEcl(
  items: readonly EclItem[],
  opts: { lastAmended: string; amendments: [string, string][] },
): string {
  const provisions = items
    .map(
      (item, i) =>
        `<Provision lims:inforce-start-date="${item.inForce ?? "2017-09-21"}" lims:fid="${1000 + i}" lims:id="${1000 + i}" format-ref="indent-0-0"><Label>${item.label}</Label><Text>${item.text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Text></Provision>`,
    )
    .join("");
  const amendments = opts.amendments
    .map(
      ([citation, date]) =>
        `<Amendment><AmendmentCitation>${citation}</AmendmentCitation><AmendmentDate>${date}</AmendmentDate></Amendment>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="utf-8"?><Regulation lims:pit-date="${opts.lastAmended}" lims:lastAmendedDate="${opts.lastAmended}" lims:current-date="${opts.lastAmended}" xml:lang="en" xmlns:lims="http://justice.gc.ca/lims"><Identification><InstrumentNumber>SOR/89-202</InstrumentNumber></Identification><Body><Section><Label>1</Label><Text>The following definitions apply in this List.</Text></Section></Body><Schedule><ScheduleFormHeading><Label>SCHEDULE</Label></ScheduleFormHeading><Heading level="1"><Label>GROUP 5</Label><TitleText>Miscellaneous Goods and Technology</TitleText></Heading>${provisions}</Schedule><RecentAmendments>${amendments}</RecentAmendments></Regulation>`;
}

/** A consolidation of `items` last amended on a date (by one SOR of that year), as the bytes Justice Laws serves. */
export function eclVersion(items: readonly EclItem[], lastAmended: string): Buffer {
  return Buffer.from(
    buildEcl(items, { lastAmended, amendments: [[`SOR/${lastAmended.slice(0, 4)}-1`, lastAmended]] }),
  );
}
