/** One inline part of a message, as stored: its Content-ID, type and bytes. */
export interface InlinePart {
  contentId: string
  contentType: string
  content: Buffer
}

/** Raster types a browser shows as a picture (the sanitiser's own `data:` list). */
const pictureType = /^image\/(png|jpe?g|gif|webp|bmp)$/i

/** Above this a picture stays a download rather than a multi-megabyte line of the frame's HTML. */
export const INLINE_PICTURE_MAX_BYTES = 5 * 1024 * 1024

/** The `cid:` value as written in the HTML (RFC 2392: URL-encoded, `&amp;`-escaped by the sanitiser). */
export function contentIdOf(cidValue: string): string {
  const unescaped = cidValue.replace(/&amp;/g, '&')
  try {
    return decodeURIComponent(unescaped)
  } catch {
    return unescaped
  }
}

/** The Content-IDs a message's HTML shows as `<img src="cid:…">`. */
export function referencedContentIds(html: string): string[] {
  return [...new Set([...html.matchAll(/<img\b[^>]*?\ssrc="cid:([^"]+)"/gi)].map((m) => contentIdOf(m[1] as string)))]
}

/**
 * Shows a message's inline pictures in its sanitised HTML: each
 * `<img src="cid:x">` naming a picture part of the same message becomes a
 * `data:` URL of that part. They came with the mail, so they are not remote
 * and tell no tracker anything: they show at once, while remote images still
 * wait for the agent. `data:` rather than the attachment's download URL: the
 * email frame is sandboxed (an opaque origin), and our responses forbid
 * cross-origin embedding (Cross-Origin-Resource-Policy: same-origin), which
 * must stay so that no other site can embed a customer's files. A `cid:` that
 * names no picture of this message is left as it is (nothing shows).
 * Content-IDs are compared as written, then ignoring case (some mailers change
 * the case between the HTML and the part's header).
 */
export function resolveInlineImages(html: string, parts: InlinePart[]): string {
  const exact = new Map<string, InlinePart>()
  const folded = new Map<string, InlinePart>()
  for (const part of parts) {
    if (!pictureType.test(part.contentType) || part.content.length > INLINE_PICTURE_MAX_BYTES) continue
    if (!exact.has(part.contentId)) exact.set(part.contentId, part)
    if (!folded.has(part.contentId.toLowerCase())) folded.set(part.contentId.toLowerCase(), part)
  }
  if (exact.size === 0) return html
  return html.replace(/(<img\b[^>]*?\ssrc=")cid:([^"]+)"/gi, (whole, head: string, cid: string) => {
    const id = contentIdOf(cid)
    const part = exact.get(id) ?? folded.get(id.toLowerCase())
    if (!part) return whole
    return `${head}data:${part.contentType.toLowerCase()};base64,${part.content.toString('base64')}"`
  })
}
