/**
 * Fetch and decode an image before it is shown, so the turn that shows it paints the picture in its first frame
 * instead of an empty box. Only ever called with links the server sent: pages the reader has reached, and the
 * next turn's page(s) (`GET /api/sessions/{id}/ahead`, never more than two past the furthest page).
 */

const decoded = new Map<string, Promise<boolean>>();
// Decoded images are held (up to MAX_REMEMBERED): while an element references it, the browser keeps the decoded
// picture in its memory cache, so the `<img>` a turn mounts paints from memory instead of decoding again.
const ready = new Map<string, HTMLImageElement>();
const MAX_REMEMBERED = 64;

/** Whether `url` is already downloaded and decoded (a turn to it can paint in its first frame). */
export function isDecoded(url: string): boolean {
  return ready.has(url);
}

/** Resolves true once `url` is decoded (false if it failed); repeated calls share one download. */
export function preload(url: string): Promise<boolean> {
  const known = decoded.get(url);
  if (known) return known;
  const image = new Image();
  image.decoding = "async";
  image.src = url;
  const done = image.decode().then(
    () => {
      if (decoded.has(url)) ready.set(url, image);
      return true;
    },
    () => {
      decoded.delete(url);
      return false;
    },
  );
  decoded.set(url, done);
  if (decoded.size > MAX_REMEMBERED) {
    const oldest = decoded.keys().next().value;
    if (oldest !== undefined) {
      decoded.delete(oldest);
      ready.delete(oldest);
    }
  }
  return done;
}

/** `preload`, but give up waiting after `ms` (the turn then shows the page as it arrives). */
export function preloadWithin(url: string, ms: number): Promise<boolean> {
  return Promise.race([preload(url), new Promise<boolean>((resolve) => window.setTimeout(() => resolve(false), ms))]);
}
