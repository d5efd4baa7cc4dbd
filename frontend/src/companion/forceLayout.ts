/**
 * A small, deterministic force layout for the world graph (a few dozen nodes): pairwise repulsion, springs along
 * edges, a pull toward the centre, and cooling over a fixed number of steps. Starting points come from the
 * server's coordinates, so the same graph always lands in the same place and a node that appears as the reader
 * moves on does not reshuffle everyone else much. O(n^2) per step, which is nothing at this size.
 */

export interface LayoutNode {
  id: string;
  x: number;
  y: number;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface Point {
  x: number;
  y: number;
}

const REPULSION = 9000;
const SPRING = 0.045;
const SPRING_LENGTH = 150;
const GRAVITY = 0.012;
const STEPS = 260;

export function forceLayout(nodes: LayoutNode[], edges: LayoutEdge[]): Map<string, Point> {
  const count = nodes.length;
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    index.set(node.id, i);
    // Tiny deterministic jitter separates nodes that start on the same spot.
    xs[i] = node.x + ((i * 7919) % 13) - 6;
    ys[i] = node.y + ((i * 104729) % 11) - 5;
  });
  const links = edges
    .map((edge) => [index.get(edge.source), index.get(edge.target)] as const)
    .filter((pair): pair is readonly [number, number] => pair[0] !== undefined && pair[1] !== undefined);
  const dx = new Float64Array(count);
  const dy = new Float64Array(count);
  for (let step = 0; step < STEPS; step += 1) {
    const temperature = 18 * (1 - step / STEPS) + 0.5;
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < count; i += 1) {
      for (let j = i + 1; j < count; j += 1) {
        const ox = (xs[i] ?? 0) - (xs[j] ?? 0);
        const oy = (ys[i] ?? 0) - (ys[j] ?? 0);
        const distance2 = Math.max(ox * ox + oy * oy, 25);
        const force = REPULSION / distance2;
        const distance = Math.sqrt(distance2);
        const fx = (ox / distance) * force;
        const fy = (oy / distance) * force;
        dx[i] = (dx[i] ?? 0) + fx;
        dy[i] = (dy[i] ?? 0) + fy;
        dx[j] = (dx[j] ?? 0) - fx;
        dy[j] = (dy[j] ?? 0) - fy;
      }
    }
    for (const [a, b] of links) {
      const ox = (xs[b] ?? 0) - (xs[a] ?? 0);
      const oy = (ys[b] ?? 0) - (ys[a] ?? 0);
      const distance = Math.max(Math.sqrt(ox * ox + oy * oy), 1);
      const force = SPRING * (distance - SPRING_LENGTH);
      const fx = (ox / distance) * force;
      const fy = (oy / distance) * force;
      dx[a] = (dx[a] ?? 0) + fx;
      dy[a] = (dy[a] ?? 0) + fy;
      dx[b] = (dx[b] ?? 0) - fx;
      dy[b] = (dy[b] ?? 0) - fy;
    }
    for (let i = 0; i < count; i += 1) {
      const fx = (dx[i] ?? 0) - GRAVITY * (xs[i] ?? 0);
      const fy = (dy[i] ?? 0) - GRAVITY * (ys[i] ?? 0);
      const length = Math.sqrt(fx * fx + fy * fy);
      const scale = length > temperature ? temperature / length : 1;
      xs[i] = (xs[i] ?? 0) + fx * scale;
      ys[i] = (ys[i] ?? 0) + fy * scale;
    }
  }
  const out = new Map<string, Point>();
  nodes.forEach((node, i) => out.set(node.id, { x: xs[i] ?? 0, y: ys[i] ?? 0 }));
  return out;
}

/** The box around the points, padded, for an SVG viewBox. */
export function bounds(points: Iterable<Point>, padding = 70): { x: number; y: number; width: number; height: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const point of points) {
    minX = Math.min(minX, point.x);
    minY = Math.min(minY, point.y);
    maxX = Math.max(maxX, point.x);
    maxY = Math.max(maxY, point.y);
  }
  if (!Number.isFinite(minX)) return { x: -200, y: -150, width: 400, height: 300 };
  const width = Math.max(maxX - minX, 240) + 2 * padding;
  const height = Math.max(maxY - minY, 180) + 2 * padding;
  return { x: (minX + maxX) / 2 - width / 2, y: (minY + maxY) / 2 - height / 2, width, height };
}
