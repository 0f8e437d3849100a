import { findCountries } from "@regwatch/core/countries";
import {
  findEccns,
  mergeTechnologies,
  technologiesForKey,
  technologiesForText,
  wassenaarCategoryOf,
} from "@regwatch/core/taxonomy";
import { normalizeText } from "@regwatch/core/text";
import { describe, expect, it } from "vitest";

describe("technology tags", () => {
  it("maps the 2024 plurilateral ECCNs to their technologies", () => {
    expect(technologiesForKey("4A906")).toEqual(["quantum"]);
    expect(technologiesForKey("4E906.a")).toEqual(["quantum"]);
    expect(technologiesForKey("3A904")).toEqual(["quantum"]);
    expect(technologiesForKey("3B001.c.1.a")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(technologiesForKey("3B903")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(technologiesForKey("3E905")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(technologiesForKey("2B910.a")).toEqual(["additive-manufacturing"]);
    expect(mergeTechnologies(technologiesForKey("3C907"))).toEqual(["quantum", "advanced-semiconductors"]);
  });

  it("does not match a prefix that is only a longer number", () => {
    expect(technologiesForKey("3B0010")).toEqual([]);
    expect(technologiesForKey("4A9060")).toEqual([]);
  });

  it("finds technologies in titles without false friends", () => {
    expect(technologiesForText("Implementation of Controls on Quantum Computing Items")).toEqual(["quantum"]);
    expect(technologiesForText("Entity List Additions; AI chips and advanced computing")).toEqual([
      "advanced-computing",
      "artificial-intelligence",
    ]);
    expect(technologiesForText("Maintained for aircraft training")).toEqual([]);
    // One phrase, two technologies: both rules are asked about the same words.
    expect(technologiesForText("gate-all-around field-effect transistors")).toEqual([
      "advanced-semiconductors",
      "gaafet",
    ]);
    expect(technologiesForText("Full-Gate All-Around")).toEqual(["advanced-semiconductors", "gaafet"]);
    expect(technologiesForText("sai and ai")).toEqual([]);
    expect(technologiesForText("post-quantum cryptography algorithms")).toEqual(["cryptography"]);
    expect(technologiesForText("Post quantum cryptography; quantum key distribution")).toEqual([
      "quantum",
      "cryptography",
    ]);
    expect(technologiesForText("Full face masks are also known as gas masks")).toEqual([]);
  });

  it("reads the Wassenaar category off an entry number", () => {
    expect(wassenaarCategoryOf("3B001.c.1.a")).toBe("3");
    expect(wassenaarCategoryOf("5506(2)(a)")).toBeNull();
  });

  it("finds ECCNs mentioned in prose", () => {
    expect(findEccns("revises 3B001 and adds ECCNs 3B903, 4A906; see 3B001.c")).toEqual([
      "3B001",
      "3B903",
      "4A906",
    ]);
  });

  it("reads the Wassenaar list's printed numbers as the ECCNs they are", () => {
    expect(
      findEccns(
        '"Software" specially designed for equipment specified by 3.B.1. or 3.B.2.a.; see also 3B001 and 4.A.3.',
      ),
    ).toEqual(["3B001", "3B002", "4A003"]);
    expect(findEccns("items in 9.E.101., 3.A.1.a.1.")).toEqual(["9E101", "3A001"]);
    // Not numbers of the list: a decimal after the group letter, a letter running on, a category out of range.
    expect(findEccns("a 1.A.1.5 GHz band, 2.B.3x, 3.F.1., note 12.A.1.")).toEqual([]);
  });
});

describe("countries", () => {
  it("finds affected destinations in a title", () => {
    expect(
      findCountries("Additions to the Entity List: China, Russia, and the United Arab Emirates"),
    ).toEqual(["AE", "CN", "RU"]);
  });

  it("keeps overlapping names apart", () => {
    expect(findCountries("Papua New Guinea and Guinea-Bissau")).toEqual(["GW", "PG"]);
    expect(findCountries("Nigeria")).toEqual(["NG"]);
    expect(findCountries("South Sudan")).toEqual(["SS"]);
    expect(findCountries("Democratic Republic of the Congo")).toEqual(["CD"]);
  });

  it("does not read ordinary words as countries", () => {
    expect(findCountries("a turkey, a jersey and a chad")).toEqual([]);
  });
});

describe("normalizeText", () => {
  it("takes out cosmetic whitespace of every kind", () => {
    expect(normalizeText("  a\u00a0b\n\tc\u2009d\u200b ")).toBe("a b c d");
  });

  it("composes Unicode so the same text compares equal", () => {
    expect(normalizeText("cafe\u0301")).toBe(normalizeText("caf\u00e9"));
  });
});
