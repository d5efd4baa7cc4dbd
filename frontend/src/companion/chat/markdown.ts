/**
 * Answer text as sanitized Markdown, with `[page 3]` markers turned into citation buttons. Loaded on demand (a
 * separate chunk), so the reader's own chunk does not carry a Markdown parser.
 *
 * Answers are model output built from fetched wiki text: untrusted. `marked` renders, then DOMPurify keeps only
 * text formatting (no links, images, forms, styles or event handlers): an answer can neither load anything (an
 * image past the reader's page, a tracking pixel) nor send the reader anywhere.
 */

import DOMPurify from "dompurify";
import { marked } from "marked";

const ALLOWED_TAGS = [
  "p", "br", "strong", "em", "b", "i", "del", "code", "pre", "ul", "ol", "li", "blockquote", "hr",
  "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
];
const MARKER = /\[([^\]\n]{1,80})\]/g;

/** Turn each `[label]` naming one of `labels` into `<button data-cite="i">` (outside code). */
function linkCitations(root: DocumentFragment, labels: readonly string[]): void {
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!(node.parentElement?.closest("code, pre"))) texts.push(node as Text);
  }
  for (const text of texts) {
    const value = text.data;
    MARKER.lastIndex = 0;
    if (!MARKER.test(value)) continue;
    const parts = value.split(MARKER);
    const replacement = root.ownerDocument.createDocumentFragment();
    parts.forEach((part, i) => {
      const index = i % 2 === 1 ? labels.indexOf(part) : -1;
      if (index < 0) {
        replacement.append(i % 2 === 1 ? `[${part}]` : part);
        return;
      }
      const button = root.ownerDocument.createElement("button");
      button.type = "button";
      button.className = "rd-cite-inline";
      button.dataset.cite = String(index);
      button.title = `Go to ${part}`;
      button.textContent = part;
      replacement.append(button);
    });
    text.replaceWith(replacement);
  }
}

/** Sanitized DOM for an answer; `labels` are the citation titles the markers may name. */
export function renderAnswer(text: string, labels: readonly string[]): DocumentFragment {
  const html = marked.parse(text, { async: false, gfm: true, breaks: true });
  const fragment = DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: [],
    RETURN_DOM_FRAGMENT: true,
  });
  linkCitations(fragment, labels);
  return fragment;
}
