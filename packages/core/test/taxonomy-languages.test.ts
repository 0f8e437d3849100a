import { technologiesForText } from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { describe, expect, it } from "vitest";

// Technology keywords in the languages of the tracked lists. Sentences are
// written in the style of (or taken from) the real instruments: titles of the
// 2024–2025 national controls, and entry text of the dual-use lists.
const tags = (text: string) => technologiesForText(normalizeText(text));

describe("Norwegian (bokmål) technology keywords", () => {
  it("tags the real amendment text and the List III title", () => {
    // From the Lovdata amendment of FOR-2013-06-19-718 (the fixture lti-export-control-amendment.xml).
    expect(
      tags(
        "Lisensplikten gjelder også kvantedatamaskiner og utstyr for produksjon av halvledere som oppfyller",
      ),
    ).toEqual(["quantum", "semiconductor-manufacturing-equipment"]);
    expect(tags("Liste III – nye og fremvoksende teknologier (2025)")).toEqual([]);
  });

  it("finds every technology in its inflected and compound forms", () => {
    expect(tags("kvanteteknologi og kvantedatamaskiner")).toEqual(["quantum"]);
    expect(
      tags("utstyr for halvlederproduksjon, litografi, tørretsing, epitaksi og ioneimplantering"),
    ).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("atomlagsdeponering")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("integrerte kretser og mikroprosessorer")).toEqual(["advanced-semiconductors"]);
    expect(tags("GAAFET-strukturer (gate-all-around)")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(tags("additiv tilvirkning (3D-printing)")).toEqual(["additive-manufacturing"]);
    expect(tags("additiv produksjon av metalldeler")).toEqual(["additive-manufacturing"]);
    expect(tags("superdatamaskiner, høyytelsesdatabehandling og datasentre")).toEqual(["advanced-computing"]);
    expect(tags("kunstig intelligens, maskinlæring og nevrale nettverk")).toEqual([
      "artificial-intelligence",
    ]);
    expect(tags("kryptografi, kryptering og informasjonssikkerhet")).toEqual(["cryptography"]);
    expect(tags("bioteknologi, patogener, toksiner og genetisk materiale")).toEqual(["biotechnology"]);
  });

  it("leaves out the false friends", () => {
    // Etching alone is also art and glass work; post-quantum is cryptography.
    expect(tags("etsing av glass")).toEqual([]);
    expect(tags("post-kvante kryptografi")).toEqual(["cryptography"]);
    expect(tags("halvledere")).toEqual([]);
  });
});

describe("Finnish technology keywords", () => {
  it("tags nothing in the act's title and finds the technologies in its terms", () => {
    expect(tags("Laki kaksikäyttötuotteiden vientivalvonnasta")).toEqual([]);
    expect(tags("kvanttitietokoneet ja kvanttiteknologia")).toEqual(["quantum"]);
    expect(tags("puolijohteiden valmistukseen tarkoitetut laitteet, litografia ja kuivaetsaus")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(tags("puolijohdevalmistuslaitteet, epitaksia ja atomikerroskasvatus")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(tags("integroidut piirit ja mikroprosessorit")).toEqual(["advanced-semiconductors"]);
    expect(tags("integroitujen piirien GAAFET-rakenteet")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(tags("additiivinen valmistus ja 3D-tulostus")).toEqual(["additive-manufacturing"]);
    expect(tags("supertietokoneet ja datakeskukset")).toEqual(["advanced-computing"]);
    expect(tags("tekoälyjärjestelmät ja koneoppiminen")).toEqual(["artificial-intelligence"]);
    expect(tags("salaus ja kryptografia; salauksen purku")).toEqual(["cryptography"]);
    expect(tags("bioteknologia, patogeenit ja toksiinit")).toEqual(["biotechnology"]);
    // Case folds for letters beyond ASCII too.
    expect(tags("TEKOÄLY JA SUPERTIETOKONEET")).toEqual(["advanced-computing", "artificial-intelligence"]);
  });

  it("leaves out the false friends found in real Finnish law text", () => {
    // From laki 1996/562: "-toksin-" is a common inflection, not a toxin.
    expect(tags("siihen myöhemmin tehtyine muutoksineen")).toEqual([]);
    expect(tags("lakiin tehtyihin muutoksiin")).toEqual([]);
    // From laki 2012/282: the act on information security obligations is about classified documents.
    expect(tags("kansainvälisistä tietoturvallisuusvelvoitteista annetussa laissa (588/2004)")).toEqual([]);
    expect(tags("etsaus")).toEqual([]);
  });
});

describe("Dutch technology keywords", () => {
  it("tags the 2023 semiconductor regulation by its title", () => {
    expect(tags("Regeling geavanceerde productieapparatuur voor halfgeleiders")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
  });

  it("finds every technology in its inflected and compound forms", () => {
    expect(tags("kwantumcomputers en quantumtechnologie")).toEqual(["quantum"]);
    expect(tags("apparatuur voor de productie van halfgeleiders: lithografie, droogetsen, epitaxie")).toEqual(
      ["semiconductor-manufacturing-equipment"],
    );
    expect(tags("geïntegreerde schakelingen met gate-all-around-transistoren")).toEqual([
      "advanced-semiconductors",
      "gaafet",
    ]);
    expect(tags("additieve vervaardiging (3D-printen)")).toEqual(["additive-manufacturing"]);
    expect(tags("supercomputers en datacentra")).toEqual(["advanced-computing"]);
    expect(tags("kunstmatige intelligentie en neurale netwerken")).toEqual(["artificial-intelligence"]);
    expect(tags("cryptografie en versleuteling; informatiebeveiliging")).toEqual(["cryptography"]);
    expect(tags("biotechnologie, ziekteverwekkers en toxinen")).toEqual(["biotechnology"]);
  });

  it("leaves out the false friends", () => {
    expect(tags("kwantumkorting bij afname")).toEqual([]);
    expect(tags("etsen op koper")).toEqual([]);
    expect(tags("post-quantumcryptografie")).toEqual(["cryptography"]);
  });
});

describe("Spanish technology keywords", () => {
  it("tags nothing in the dual-use title and finds the technologies in its terms", () => {
    expect(tags("Control del comercio exterior de productos y tecnologías de doble uso")).toEqual([]);
    expect(tags("ordenadores cuánticos y computación cuántica")).toEqual(["quantum"]);
    expect(tags("equipos de fabricación de semiconductores, litografía y grabado en seco")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(tags("circuitos integrados y microprocesadores")).toEqual(["advanced-semiconductors"]);
    // The code alone tags only GAAFET, as in English.
    expect(tags("transistores GAAFET")).toEqual(["gaafet"]);
    expect(tags("fabricación aditiva e impresión 3D")).toEqual(["additive-manufacturing"]);
    expect(tags("supercomputadoras y centros de datos")).toEqual(["advanced-computing"]);
    expect(tags("inteligencia artificial y aprendizaje automático")).toEqual(["artificial-intelligence"]);
    expect(tags("criptografía y cifrado de la información")).toEqual(["cryptography"]);
    expect(tags("biotecnología, patógenos y toxinas")).toEqual(["biotechnology"]);
  });

  it("leaves out the false friends", () => {
    expect(tags("un grabado del siglo XVIII")).toEqual([]);
    expect(tags("la cuantía cifrada en 1.000 euros")).toEqual([]);
    expect(tags("criptografía poscuántica")).toEqual(["cryptography"]);
    expect(tags("semiconductores")).toEqual([]);
  });
});

describe("Italian technology keywords", () => {
  it("tags nothing in the dual-use title and finds the technologies in its terms", () => {
    expect(tags("Disciplina dell'esportazione di prodotti a duplice uso")).toEqual([]);
    expect(tags("calcolatori quantistici e tecnologie quantistiche")).toEqual(["quantum"]);
    expect(
      tags("apparecchiature per la fabbricazione di semiconduttori; litografia e incisione a secco"),
    ).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(tags("circuiti integrati e microprocessori")).toEqual(["advanced-semiconductors"]);
    expect(tags("fabbricazione additiva e stampa 3D")).toEqual(["additive-manufacturing"]);
    expect(tags("supercalcolatori e centri di elaborazione dati")).toEqual(["advanced-computing"]);
    expect(tags("intelligenza artificiale e reti neurali")).toEqual(["artificial-intelligence"]);
    // From the Codice dell'amministrazione digitale (d.lgs. 82/2005).
    expect(tags("un sistema di chiavi crittografiche, una pubblica e una privata")).toEqual(["cryptography"]);
    expect(tags("biotecnologie, agenti patogeni e tossine")).toEqual(["biotechnology"]);
  });

  it("leaves out the false friends", () => {
    expect(tags("incisione su rame; quanto dovuto")).toEqual([]);
    expect(tags("crittografia post-quantistica")).toEqual(["cryptography"]);
  });
});

describe("French technology keywords", () => {
  it("tags nothing in the dual-use title and finds the technologies in its terms", () => {
    expect(tags("Arrêté relatif aux licences d'exportation des biens à double usage")).toEqual([]);
    expect(tags("technologies émergentes : ordinateurs quantiques")).toEqual(["quantum"]);
    expect(tags("équipements de fabrication de semi-conducteurs : gravure sèche et lithographie")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    // From the Canadian list in French (DORS/89-202).
    expect(tags("les circuits intégrés à semi-conducteur métal-oxyde complémentaire (CMOS)")).toEqual([
      "advanced-semiconductors",
    ]);
    expect(tags("transistor à effet de champ à grille environnante")).toEqual([
      "advanced-semiconductors",
      "gaafet",
    ]);
    expect(tags("transistors à grille enrobante")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(tags("fabrication additive et impression 3D")).toEqual(["additive-manufacturing"]);
    expect(tags("supercalculateurs et centres de données")).toEqual(["advanced-computing"]);
    expect(tags("intelligence artificielle et apprentissage automatique")).toEqual([
      "artificial-intelligence",
    ]);
    expect(tags("cryptographie et chiffrement ; sécurité de l'information")).toEqual(["cryptography"]);
    expect(tags("biotechnologie, agents pathogènes et toxines")).toEqual(["biotechnology"]);
  });

  it("leaves out the false friends", () => {
    expect(tags("une gravure sur cuivre ; le chiffrage des travaux")).toEqual([]);
    expect(tags("cryptographie post-quantique")).toEqual(["cryptography"]);
  });
});
