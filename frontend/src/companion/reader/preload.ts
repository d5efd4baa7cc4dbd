/**
 * Fetch and decode an image before it is shown, so the turn that shows it paints the picture in its first frame
 * instead of an empty box. Only ever called with links the server sent, which exist only for pages the reader
 * has reached: nothing past the furthest page can be fetched from here.
 */

const decoded = new Map<string, Promise<boolean>>();
const MAX_REMEMBERED = 64;

/** Resolves true once `url` is decoded (false if it failed); repeated calls share one download. */
export function preload(url: string): Promise<boolean> {
  const known = decoded.get(url);
  if (known) return known;
  const image = new Image();
  image.decoding = "async";
  image.src = url;
  const done = image.decode().then(
    () => true,
    () => {
      decoded.delete(url);
      return false;
    },
  );
  decoded.set(url, done);
  if (decoded.size > MAX_REMEMBERED) {
    const oldest = decoded.keys().next().value;
    if (oldest !== undefined) decoded.delete(oldest);
  }
  return done;
}

/** `preload`, but give up waiting after `ms` (the turn then shows the page as it arrives). */
export function preloadWithin(url: string, ms: number): Promise<boolean> {
  return Promise.race([preload(url), new Promise<boolean>((resolve) => window.setTimeout(() => resolve(false), ms))]);
}
