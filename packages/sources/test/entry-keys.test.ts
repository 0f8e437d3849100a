import { describe, expect, it } from "vitest";
import { uniqueKey } from "../src/entry-keys.ts";

describe("entry keys", () => {
  it("keeps a new key, and numbers a repeated one after those taken, saying so", () => {
    const warnings: string[] = [];
    const taken = new Set(["3A001", "3A001.a", "3A001.a#2"]);
    expect(uniqueKey("3A002", taken, warnings)).toBe("3A002");
    expect(uniqueKey("3A001", taken, warnings)).toBe("3A001#2");
    expect(uniqueKey("3A001.a", taken, warnings)).toBe("3A001.a#3");
    expect(warnings).toEqual([
      "duplicate entry key 3A001; later one kept as 3A001#2",
      "duplicate entry key 3A001.a; later one kept as 3A001.a#3",
    ]);
  });
});
