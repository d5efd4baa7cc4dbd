/** True when the book area is wide enough to show two pages side by side at full height (a landscape spread). */

import { useEffect, useState, type RefObject } from "react";

export function useSpread(ref: RefObject<HTMLElement | null>, pageAspect: number): boolean {
  const [spread, setSpread] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const measure = () => {
      const { width, height } = element.getBoundingClientRect();
      // Two pages of the height available must fit, with a little room for the gutter and margins.
      setSpread(width > height && width >= 2 * height * pageAspect * 0.96);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, pageAspect]);
  return spread;
}
