import { findCountries } from "@regwatch/core/countries";
import { describe, expect, it } from "vitest";

// Titles and sentences as the European gazettes write them (the Norwegian
// ones are the real Lovtidend titles of 2025; the others are written in the
// gazettes' style with the countries their sanctions and export rules name).
describe("countries named in the watched jurisdictions' languages", () => {
  it("Norwegian, with the genitive", () => {
    expect(
      findCountries(
        "Forskrift om endring i forskrift om restriktive tiltak vedrørende handlinger som undergraver eller truer Ukrainas territorielle integritet, suverenitet, uavhengighet og stabilitet",
      ),
    ).toEqual(["UA"]);
    expect(findCountries("Forskrift om endring i forskrift om restriktive tiltak mot Syria")).toEqual(["SY"]);
    expect(findCountries("eksport til Russland og Hviterussland, og Russlands væpnede styrker")).toEqual([
      "BY",
      "RU",
    ]);
    expect(findCountries("varer med opprinnelse i Nord-Korea eller Kina")).toEqual(["CN", "KP"]);
  });

  it("Finnish, with its case endings", () => {
    expect(findCountries("vienti Venäjälle ja Valko-Venäjälle on kielletty")).toEqual(["BY", "RU"]);
    expect(findCountries("Kiinaan, Iraniin ja Pohjois-Koreaan suuntautuva vienti")).toEqual([
      "CN",
      "IR",
      "KP",
    ]);
    expect(findCountries("Yhdysvaltain ja Japanin vientivalvonta")).toEqual(["JP", "US"]);
  });

  it("Dutch", () => {
    expect(findCountries("uitvoer naar Rusland, Wit-Rusland en Oekraïne")).toEqual(["BY", "RU", "UA"]);
    expect(findCountries("de Verenigde Staten en Japan hebben vergelijkbare maatregelen")).toEqual([
      "JP",
      "US",
    ]);
    expect(findCountries("beperkende maatregelen tegen Syrië en Noord-Korea")).toEqual(["KP", "SY"]);
  });

  it("Spanish", () => {
    expect(findCountries("exportaciones a Rusia y Bielorrusia")).toEqual(["BY", "RU"]);
    expect(findCountries("medidas restrictivas respecto de Irán, Siria y Corea del Norte")).toEqual([
      "IR",
      "KP",
      "SY",
    ]);
    expect(findCountries("acuerdo con los Estados Unidos y el Reino Unido")).toEqual(["GB", "US"]);
  });

  it("Italian", () => {
    expect(findCountries("esportazioni verso la Russia, la Bielorussia e la Cina")).toEqual([
      "BY",
      "CN",
      "RU",
    ]);
    expect(findCountries("misure restrittive nei confronti della Siria e della Corea del Nord")).toEqual([
      "KP",
      "SY",
    ]);
    expect(findCountries("in coordinamento con gli Stati Uniti, il Giappone e i Paesi Bassi")).toEqual([
      "JP",
      "NL",
      "US",
    ]);
  });

  it("French", () => {
    expect(findCountries("exportations vers la Russie et la Biélorussie")).toEqual(["BY", "RU"]);
    expect(
      findCountries("mesures restrictives à l'encontre de la Syrie, de l'Iran et de la Corée du Nord"),
    ).toEqual(["IR", "KP", "SY"]);
    expect(findCountries("en coordination avec les États-Unis, le Japon et les Pays-Bas")).toEqual([
      "JP",
      "NL",
      "US",
    ]);
  });

  it("does not read common words as countries", () => {
    // Lower case, or inside a longer word: not a name.
    expect(findCountries("la cina di bordo; chine de production; hviterussisk")).toEqual([]);
    expect(findCountries("Wit-Rusland")).toEqual(["BY"]);
    expect(findCountries("Valko-Venäjän")).toEqual(["BY"]);
    expect(findCountries("Bielorrusia")).toEqual(["BY"]);
  });
});
