import { describe, expect, it } from "vitest";
import { THINKING, thinkingText } from "./thinking";

describe("thinkingText", () => {
  it("never mentions the wiki for a page question, whatever the seed", () => {
    for (let seed = 0; seed < 50; seed++) expect(thinkingText("page", seed * 7919)).not.toMatch(/wiki/i);
  });

  it("says the wiki for a wiki question and uses every line", () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const line = thinkingText("wiki", seed);
      expect(line).toMatch(/wiki/i);
      seen.add(line);
    }
    expect(seen.size).toBe(THINKING.wiki.length);
  });
});
