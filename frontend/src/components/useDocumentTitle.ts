/** Set `document.title` for a page, so browser history and screen readers name where the user is. */

import { useEffect } from "react";

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Scriptorium` : "Scriptorium";
  }, [title]);
}
