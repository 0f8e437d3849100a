import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { buildRawMessage } from "../src/raw-message.ts";

const input = {
  from: "Veille réglementaire <alerts@regwatch.test>",
  to: "analyst@example.com",
  subject:
    "[JP] 輸出貿易管理令 別表第一: 2 changes — quantum computing and quantum devices, a subject long enough to fold",
  text: "Line one\nLine two with ü and 量子\n".repeat(40),
  html: "<p>Quantum &amp; <b>ü</b></p>".repeat(100),
  messageId: "<alert.sub-1.42@regwatch.test>",
  date: new Date("2026-12-02T01:50:00Z"),
  headers: {
    "List-Unsubscribe": `<https://regwatch.test/unsubscribe?token=${"a".repeat(180)}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  },
};

describe("buildRawMessage", () => {
  it("reads back as the same message: headers, both parts, Unicode intact", async () => {
    const raw = buildRawMessage(input);
    const parsed = await simpleParser(raw);
    expect(parsed.from?.value).toEqual([{ address: "alerts@regwatch.test", name: "Veille réglementaire" }]);
    expect(parsed.to).toMatchObject({ value: [{ address: "analyst@example.com" }] });
    expect(parsed.subject).toBe(input.subject);
    expect(parsed.messageId).toBe(input.messageId);
    expect(parsed.date?.toISOString()).toBe("2026-12-02T01:50:00.000Z");
    expect(parsed.text).toBe(input.text);
    expect(parsed.html).toBe(input.html);
    const head = raw
      .toString("latin1")
      .split("\r\n\r\n")[0]!
      .replace(/\r\n[ \t]+/g, " ");
    expect(head).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(head).toContain(`List-Unsubscribe: ${input.headers["List-Unsubscribe"]}`);
  });

  it("is ASCII with CRLF line ends and no line over 78 characters but unbreakable tokens", () => {
    const raw = buildRawMessage(input).toString("latin1");
    expect(raw).toMatch(/^[\x00-\x7f]*$/);
    expect(raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    for (const line of raw.split("\r\n")) {
      if (line.length > 78)
        expect(line, line).toMatch(/^\s*<https:\/\/regwatch\.test\/unsubscribe\?token=a+>$/);
    }
    expect(raw).toMatch(
      /^Content-Type: multipart\/alternative;\r\n boundary="----regwatch-[0-9a-f]{24}"\r$/m,
    );
    expect(raw).toMatch(/^Date: Wed, 02 Dec 2026 01:50:00 \+0000\r$/m);
  });

  it("gives every message its own boundary", () => {
    const boundary = (b: Buffer) => /boundary="([^"]+)"/.exec(b.toString("latin1"))![1];
    expect(boundary(buildRawMessage(input))).not.toBe(boundary(buildRawMessage(input)));
  });
});
