// ISO 3166-1 alpha-2, officially assigned codes with English short names. Aliases
// are the other names the gazettes use for the same destination; they feed
// `findCountries`, which tags affected destinations in titles and abstracts.
const COUNTRY_TABLE = `AD Andorra|AE United Arab Emirates;UAE|AF Afghanistan|AG Antigua and Barbuda|AI Anguilla|AL Albania|AM Armenia|AO Angola|AQ Antarctica|AR Argentina|AS American Samoa|AT Austria|AU Australia|AW Aruba|AX Aland Islands|AZ Azerbaijan|BA Bosnia and Herzegovina|BB Barbados|BD Bangladesh|BE Belgium|BF Burkina Faso|BG Bulgaria|BH Bahrain|BI Burundi|BJ Benin|BL Saint Barthelemy|BM Bermuda|BN Brunei|BO Bolivia|BQ Caribbean Netherlands|BR Brazil|BS Bahamas|BT Bhutan|BV Bouvet Island|BW Botswana|BY Belarus|BZ Belize|CA Canada|CC Cocos (Keeling) Islands|CD Democratic Republic of the Congo|CF Central African Republic|CG Republic of the Congo|CH Switzerland|CI Cote d'Ivoire;Ivory Coast|CK Cook Islands|CL Chile|CM Cameroon|CN China;People's Republic of China;PRC|CO Colombia|CR Costa Rica|CU Cuba|CV Cabo Verde;Cape Verde|CW Curacao|CX Christmas Island|CY Cyprus|CZ Czechia;Czech Republic|DE Germany|DJ Djibouti|DK Denmark|DM Dominica|DO Dominican Republic|DZ Algeria|EC Ecuador|EE Estonia|EG Egypt|EH Western Sahara|ER Eritrea|ES Spain|ET Ethiopia|FI Finland|FJ Fiji|FK Falkland Islands|FM Micronesia|FO Faroe Islands|FR France|GA Gabon|GB United Kingdom;Great Britain;UK|GD Grenada|GE Georgia|GF French Guiana|GG Guernsey|GH Ghana|GI Gibraltar|GL Greenland|GM Gambia|GN Guinea|GP Guadeloupe|GQ Equatorial Guinea|GR Greece|GS South Georgia and the South Sandwich Islands|GT Guatemala|GU Guam|GW Guinea-Bissau|GY Guyana|HK Hong Kong|HM Heard Island and McDonald Islands|HN Honduras|HR Croatia|HT Haiti|HU Hungary|ID Indonesia|IE Ireland|IL Israel|IM Isle of Man|IN India|IO British Indian Ocean Territory|IQ Iraq|IR Iran|IS Iceland|IT Italy|JE Jersey|JM Jamaica|JO Jordan|JP Japan|KE Kenya|KG Kyrgyzstan|KH Cambodia|KI Kiribati|KM Comoros|KN Saint Kitts and Nevis|KP North Korea;Democratic People's Republic of Korea;DPRK|KR South Korea;Republic of Korea|KW Kuwait|KY Cayman Islands|KZ Kazakhstan|LA Laos|LB Lebanon|LC Saint Lucia|LI Liechtenstein|LK Sri Lanka|LR Liberia|LS Lesotho|LT Lithuania|LU Luxembourg|LV Latvia|LY Libya|MA Morocco|MC Monaco|MD Moldova|ME Montenegro|MF Saint Martin|MG Madagascar|MH Marshall Islands|MK North Macedonia|ML Mali|MM Burma;Myanmar|MN Mongolia|MO Macau;Macao|MP Northern Mariana Islands|MQ Martinique|MR Mauritania|MS Montserrat|MT Malta|MU Mauritius|MV Maldives|MW Malawi|MX Mexico|MY Malaysia|MZ Mozambique|NA Namibia|NC New Caledonia|NE Niger|NF Norfolk Island|NG Nigeria|NI Nicaragua|NL Netherlands|NO Norway|NP Nepal|NR Nauru|NU Niue|NZ New Zealand|OM Oman|PA Panama|PE Peru|PF French Polynesia|PG Papua New Guinea|PH Philippines|PK Pakistan|PL Poland|PM Saint Pierre and Miquelon|PN Pitcairn|PR Puerto Rico|PS Palestine|PT Portugal|PW Palau|PY Paraguay|QA Qatar|RE Reunion|RO Romania|RS Serbia|RU Russia;Russian Federation|RW Rwanda|SA Saudi Arabia|SB Solomon Islands|SC Seychelles|SD Sudan|SE Sweden|SG Singapore|SH Saint Helena|SI Slovenia|SJ Svalbard and Jan Mayen|SK Slovakia|SL Sierra Leone|SM San Marino|SN Senegal|SO Somalia|SR Suriname|SS South Sudan|ST Sao Tome and Principe|SV El Salvador|SX Sint Maarten|SY Syria|SZ Eswatini|TC Turks and Caicos Islands|TD Chad|TF French Southern Territories|TG Togo|TH Thailand|TJ Tajikistan|TK Tokelau|TL Timor-Leste|TM Turkmenistan|TN Tunisia|TO Tonga|TR Turkey;Turkiye|TT Trinidad and Tobago|TV Tuvalu|TW Taiwan|TZ Tanzania|UA Ukraine|UG Uganda|UM United States Minor Outlying Islands|US United States|UY Uruguay|UZ Uzbekistan|VA Holy See;Vatican City|VC Saint Vincent and the Grenadines|VE Venezuela|VG British Virgin Islands|VI U.S. Virgin Islands|VN Vietnam;Viet Nam|VU Vanuatu|WF Wallis and Futuna|WS Samoa|YE Yemen|YT Mayotte|ZA South Africa|ZM Zambia|ZW Zimbabwe`;

export interface Country {
  code: string;
  name: string;
  aliases: readonly string[];
}

export const COUNTRIES: readonly Country[] = COUNTRY_TABLE.split("|").map((row) => {
  const [names = ""] = [row.slice(3)];
  const [name = "", ...aliases] = names.split(";");
  return { code: row.slice(0, 2), name, aliases };
});

const COUNTRY_CODES = new Set(COUNTRIES.map((c) => c.code));

export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

// Names that are also ordinary words or parts of other names; matched only as
// whole words and, for the ambiguous ones, with a capital letter.
const AMBIGUOUS = new Set([
  "Georgia",
  "Jersey",
  "Chad",
  "Niger",
  "Guinea",
  "Dominica",
  "Turkey",
  "Jordan",
  "UK",
]);

let countryPatterns: { code: string; pattern: RegExp }[] | undefined;

function patterns(): { code: string; pattern: RegExp }[] {
  countryPatterns ??= COUNTRIES.flatMap((c) =>
    [c.name, ...c.aliases].map((n) => {
      const escaped = n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/'/g, "['’]");
      // "Guinea" must not match inside "Papua New Guinea" or "Guinea-Bissau"; "Niger" not inside "Nigeria".
      const body = `(?<![\\w-]|New )${escaped}(?![\\w-])`;
      return { code: c.code, pattern: new RegExp(body, AMBIGUOUS.has(n) ? "" : "i") };
    }),
  );
  return countryPatterns;
}

/** ISO codes of every country named in `text`, sorted. */
export function findCountries(text: string): string[] {
  const found = new Set<string>();
  for (const { code, pattern } of patterns()) {
    if (pattern.test(text)) found.add(code);
  }
  // "Democratic Republic of the Congo" also contains "Republic of the Congo".
  if (found.has("CD") && !/(?<!Democratic )Republic of the Congo/i.test(text)) found.delete("CG");
  // "South Korea"/"North Korea" both contain "Korea" only through their own names, fine;
  // "Sudan" inside "South Sudan":
  if (found.has("SS") && !/(?<!South )Sudan/.test(text)) found.delete("SD");
  return [...found].sort();
}
