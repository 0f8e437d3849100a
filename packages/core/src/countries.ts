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

// The destinations export-control texts name most (sanctioned countries,
// the watched jurisdictions, the big partners) as the Norwegian, Finnish,
// Dutch, Spanish, Italian and French gazettes write them. Each is a pattern
// for one country's names in those languages, with the endings the
// languages inflect them with (Norwegian and Dutch genitive -s, Finnish case
// endings on a stem). Matched with a capital letter, between Latin letters.
// Names the English table already holds ("Iran", "Cuba", "China") are not
// repeated; a stem also catches English adjectives ("Iranian", "Libyan"),
// which name the same country. A source drops its own jurisdiction's code
// ("Suomen", "Norges" are in every Finnish and Norwegian act).
const L = "A-Za-z\\u00C0-\\u024F";
const FI = "[a-z\\u00E4\\u00F6\\u00E5]*";
const LOCAL_NAMES: Record<string, string> = {
  RU: `(?<!Wit-|Hvite?-?|Valko-|Bielo-?)(?:Russlands?|Ruslands?|Rusia|Russia|Russie|Ven\\u00E4j${FI})`,
  BY: `Hviterusslands?|Wit-Ruslands?|Bielorrusia|Bielorussia|Bi\\u00E9lorussie|B\\u00E9larus|Valko-Ven\\u00E4j${FI}`,
  UA: `Ukrainas?|Oekra\\u00EFnes?|Ucrania|Ucraina|Ukrain${FI}`,
  SY: `Syrias?|Syri\\u00EB|Siria|Syrie|Syyri${FI}`,
  KP: `Nord-Koreas?|Noord-Korea|Corea del Norte|Corea del Nord|Cor\\u00E9e du Nord|Pohjois-Kore${FI}`,
  KR: `S\\u00F8r-Koreas?|Zuid-Korea|Corea del Sur|Corea del Sud|Cor\\u00E9e du Sud|Etel\\u00E4-Kore${FI}`,
  CN: `Kinas?|Cina|Chine|Kiina${FI}`,
  IR: `Ir\\u00E1n|Iran${FI}`,
  IQ: `Iraks?|Irakin`,
  LY: `Libyas?|Libi\\u00EB|Libia|Libye|Libyan`,
  AF: `Afganist\\u00E1n|Afghanistans?`,
  MM: `Birmania|Birmanie`,
  CU: `Kuuba${FI}`,
  VE: `Venezuelan`,
  US: `USA|Estados Unidos|Stati Uniti|\\u00C9tats-Unis|Verenigde Staten|Amerikas forente stater|Yhdysval${FI}`,
  JP: `Japans?|Jap\\u00F3n|Giappone|Japon|Japani${FI}`,
  GB: `Storbritannias?|Verenigd Koninkrijk|Reino Unido|Regno Unito|Royaume-Uni|Yhdistynee${FI}|Yhdistynyt kuningaskunta`,
  NL: `Nederland|Pa\\u00EDses Bajos|Paesi Bassi|Pays-Bas|Alankom${FI}`,
  DE: `Tyskland|Duitsland|Alemania|Germania|Allemagne|Saksa${FI}`,
  FR: `Frankrike|Frankrijk|Francia|Ranska${FI}`,
  IT: `Italia|Itali\\u00EB|Italie|Itali${FI}`,
  ES: `Spania|Spanje|Espa\\u00F1a|Spagna|Espagne|Espanja${FI}`,
  NO: `Norges?|Noorwegen|Noruega|Norvegia|Norv\\u00E8ge|Norja${FI}`,
  FI: `Finlande?|Finlandia|Suome${FI}|Suomi`,
  CA: `Canad\\u00E1|Kanada${FI}`,
  AU: `Australi\\u00EB|Austr\\u00E1lia|Australie|Australi${FI}`,
  TW: `Taiw\\u00E1n|Taiwan${FI}`,
  BE: `Belgia|Belgi\\u00EB|B\\u00E9lgica|Belgio|Belgique`,
};

let localPatterns: { code: string; pattern: RegExp }[] | undefined;

function localNamePatterns(): { code: string; pattern: RegExp }[] {
  localPatterns ??= Object.entries(LOCAL_NAMES).map(([code, names]) => ({
    code,
    pattern: new RegExp(`(?<![${L}])(?:${names})(?![${L}])`),
  }));
  return localPatterns;
}

/** ISO codes of every country named in `text` (in English, or in a watched jurisdiction's language), sorted. */
export function findCountries(text: string): string[] {
  const found = new Set<string>();
  for (const { code, pattern } of patterns()) {
    if (pattern.test(text)) found.add(code);
  }
  for (const { code, pattern } of localNamePatterns()) {
    if (pattern.test(text)) found.add(code);
  }
  // "Democratic Republic of the Congo" also contains "Republic of the Congo".
  if (found.has("CD") && !/(?<!Democratic )Republic of the Congo/i.test(text)) found.delete("CG");
  // "South Korea"/"North Korea" both contain "Korea" only through their own names, fine;
  // "Sudan" inside "South Sudan":
  if (found.has("SS") && !/(?<!South )Sudan/.test(text)) found.delete("SD");
  return [...found].sort();
}
