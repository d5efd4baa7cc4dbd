import { describe, expect, it } from "vitest";
import { bounds, forceLayout } from "./forceLayout";

const nodes = [
  { id: "a", x: 0, y: 0 },
  { id: "b", x: 0, y: 0 },
  { id: "c", x: 0, y: 0 },
  { id: "far", x: 0, y: 0 },
];
const edges = [
  { source: "a", target: "b" },
  { source: "b", target: "c" },
];

function distance(p: { x: number; y: number }, q: { x: number; y: number }): number {
  return Math.hypot(p.x - q.x, p.y - q.y);
}

describe("forceLayout", () => {
  it("separates nodes that start on the same spot and keeps linked ones closer", () => {
    const at = forceLayout(nodes, edges);
    const a = at.get("a")!;
    const b = at.get("b")!;
    const c = at.get("c")!;
    expect(distance(a, b)).toBeGreaterThan(40);
    expect(distance(a, b)).toBeLessThan(distance(a, c) + 1);
  });

  it("is deterministic", () => {
    expect([...forceLayout(nodes, edges).entries()]).toEqual([...forceLayout(nodes, edges).entries()]);
  });

  it("ignores edges to nodes that are filtered out", () => {
    const at = forceLayout(nodes.slice(0, 2), [...edges, { source: "a", target: "gone" }]);
    expect([...at.keys()]).toEqual(["a", "b"]);
  });
});

describe("bounds", () => {
  it("pads the points and falls back to a default box when empty", () => {
    const box = bounds([{ x: 0, y: 0 }, { x: 400, y: 100 }], 10);
    expect(box.width).toBe(420);
    expect(box.x).toBe(-10);
    expect(bounds([]).width).toBeGreaterThan(0);
  });
});
