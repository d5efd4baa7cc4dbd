import { describe, expect, it } from "vitest";
import { cursorFor, leftPage } from "./position";

describe("cursorFor", () => {
  it("is the page itself in single-page mode, clamped to the episode", () => {
    expect(cursorFor(3, 8, false)).toBe(3);
    expect(cursorFor(0, 8, false)).toBe(1);
    expect(cursorFor(12, 8, false)).toBe(8);
  });

  it("is the right-hand page of the spread, so the server gates on the furthest page shown", () => {
    expect(cursorFor(3, 8, true)).toBe(4);
    expect(cursorFor(4, 8, true)).toBe(4);
    expect(cursorFor(7, 7, true)).toBe(7); // a last odd page stands alone
  });
});

describe("leftPage", () => {
  it("pairs the cursor with the page before it in a spread", () => {
    expect(leftPage(4, true)).toBe(3);
    expect(leftPage(7, true)).toBe(7);
    expect(leftPage(4, false)).toBe(4);
  });
});
