import { technologiesForText } from "@regwatch/core/taxonomy";
import { describe, expect, it } from "vitest";

// Phrases as the goods ministerial ordinance (貨物等省令) and the Export Trade
// Control Order write them, full-width Latin letters included.
describe("technology keywords in Japanese", () => {
  it("reads the 2024 plurilateral items", () => {
    expect(technologiesForText("量子計算機又はその部分品であって、次のいずれかに該当するもの")).toEqual([
      "quantum",
    ]);
    expect(
      technologiesForText("極低温用のＣＭＯＳ集積回路であって、４．５ケルビン以下で動作するもの"),
    ).toEqual(["quantum", "advanced-semiconductors"]);
    expect(technologiesForText("半導体製造装置のうち、ドライエッチング装置")).toEqual([
      "semiconductor-manufacturing-equipment",
    ]);
    expect(technologiesForText("走査型電子顕微鏡")).toEqual(["semiconductor-manufacturing-equipment"]);
    expect(technologiesForText("ゲートオールアラウンド構造の電界効果トランジスタ")).toEqual([
      "advanced-semiconductors",
      "gaafet",
    ]);
    expect(technologiesForText("金属の積層造形装置")).toEqual(["additive-manufacturing"]);
  });

  it("does not read its false friends", () => {
    // Post-quantum cryptography is cryptography, not quantum (as in English); a detector's quantum efficiency is neither.
    expect(technologiesForText("耐量子計算機暗号")).toEqual(["cryptography"]);
    expect(technologiesForText("量子効率が八十パーセント以上の検出器")).toEqual([]);
    expect(technologiesForText("暗号装置")).toEqual(["cryptography"]);
  });
});
