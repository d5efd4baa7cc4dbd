import { describe, expect, it } from "vitest";
import { locate, reasonsAndFlags, segments } from "./highlight";

const BODY = "Dear Professor Chen,\n\nCongratulations on your 2023 Guggenheim\nFellowship. I read your paper.\n\nBest,\nSam";

describe("locate", () => {
  it("finds a sentence verbatim, every time it appears", () => {
    expect(locate("A. B. A.", "A.")).toEqual([
      [0, 2],
      [6, 8],
    ]);
  });

  it("finds a sentence whose line break the splitter turned into a space", () => {
    const found = locate(BODY, "Congratulations on your 2023 Guggenheim Fellowship.");
    expect(found).toHaveLength(1);
    expect(found.map(([start, end]) => BODY.slice(start, end))[0]).toBe("Congratulations on your 2023 Guggenheim\nFellowship.");
  });

  it("finds nothing for a sentence that is not there, or an empty one", () => {
    expect(locate(BODY, "Congratulations on the Nobel Prize.")).toEqual([]);
    expect(locate(BODY, "  ")).toEqual([]);
  });
});

describe("segments", () => {
  it("keeps the whole text, in order, and marks only the flagged sentence", () => {
    const parts = segments(BODY, [{ sentence: "I read your paper.", reason: 0 }]);
    expect(parts.map((part) => part.text).join("")).toBe(BODY);
    expect(parts.filter((part) => part.reasons.length > 0)).toEqual([{ text: "I read your paper.", reasons: [0] }]);
  });

  it("gives an overlap every reason that covers it", () => {
    const parts = segments("one two three", [
      { sentence: "one two", reason: 0 },
      { sentence: "two three", reason: 1 },
    ]);
    expect(parts).toEqual([
      { text: "one ", reasons: [0] },
      { text: "two", reasons: [0, 1] },
      { text: " three", reasons: [1] },
    ]);
  });

  it("is one plain segment without flags", () => {
    expect(segments("hello", [])).toEqual([{ text: "hello", reasons: [] }]);
  });
});

describe("reasonsAndFlags", () => {
  const failed = { name: "attribution", passed: false, detail: "'2023' is in no source." };

  it("points each named sentence at the review reason that says it in words", () => {
    const { reasons, flags } = reasonsAndFlags(
      ["Placeholders left to fill: [Name].", "'2023' is in no source."],
      [{ ...failed, sentences: ["I won in 2023."] }],
    );
    expect(reasons).toEqual([
      { text: "Placeholders left to fill: [Name].", flagged: false },
      { text: "'2023' is in no source.", flagged: true },
    ]);
    expect(flags).toEqual([{ sentence: "I won in 2023.", reason: 1 }]);
  });

  it("handles checks stored before they named sentences, and passed checks, by marking nothing", () => {
    const { reasons, flags } = reasonsAndFlags(["'2023' is in no source."], [
      { ...failed, sentences: [] }, // the API sends [] for a check stored before checks named sentences
      { name: "links", passed: true, detail: "", sentences: ["Ignored."] },
    ]);
    expect(flags).toEqual([]);
    expect(reasons.every((reason) => !reason.flagged)).toBe(true);
  });

  it("adds a flagged check whose words are not among the reasons, so no mark points nowhere", () => {
    const { reasons, flags } = reasonsAndFlags([], [{ ...failed, detail: "", sentences: ["x."] }], {
      attribution: "Every sentence is sourced",
    });
    expect(reasons).toEqual([{ text: "Every sentence is sourced", flagged: true }]);
    expect(flags).toEqual([{ sentence: "x.", reason: 0 }]);
  });
});
