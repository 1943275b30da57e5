import { createRequire } from 'node:module'
import type Sanitize from 'sanitize-html'

const require = createRequire(import.meta.url)
let loaded: typeof Sanitize | undefined
/** sanitize-html (with htmlparser2 and postcss) is loaded on first use, not at start (~0.1–0.3 s). */
const sanitize = (html: string, opts: Sanitize.IOptions) => (loaded ??= require('sanitize-html') as typeof Sanitize)(html, opts)

/**
 * Message HTML comes from customers (mail, widgets, APIs) and is shown to
 * agents inside the app, so it is sanitised once, when stored:
 * - common formatting only; no script, style, iframe, form, event handler or
 *   style/class attribute (class names could dress content up as app UI);
 * - links only to http, https and mailto, opened in a new tab without
 *   referrer or opener;
 * - images only from `cid:` (inline mail parts) or `data:image/...` (raster
 *   formats): remote images are dropped, as a defence against tracking pixels.
 */
const blockTags = ['p', 'div', 'blockquote', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'hr', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'figure', 'figcaption']
const inlineTags = ['a', 'img', 'br', 'span', 'b', 'strong', 'i', 'em', 'u', 's', 'strike', 'del', 'ins', 'sub', 'sup', 'small', 'mark', 'code', 'kbd', 'abbr', 'cite', 'q', 'colgroup', 'col']

const safeImageSrc = /^(cid:[^\s"'<>]+|data:image\/(png|jpe?g|gif|webp|bmp);base64,[a-z0-9+/=\s]+)$/i

const options: Sanitize.IOptions = {
  allowedTags: [...blockTags, ...inlineTags],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    td: ['colspan', 'rowspan', 'align'],
    th: ['colspan', 'rowspan', 'align'],
    col: ['span'],
    ol: ['start', 'type'],
    abbr: ['title'],
    '*': ['dir', 'lang'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['cid', 'data'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // Overrides whatever rel/target the sender wrote.
    a: (_tagName, attribs) => ({ tagName: 'a', attribs: { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' } }),
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs
      return { tagName, attribs: src !== undefined && safeImageSrc.test(src.trim()) ? { ...rest, src: src.trim() } : rest }
    },
  },
  // An image whose source was refused is dropped entirely.
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
}

/** Sanitises message HTML for storage and display (see the rules above). */
export function sanitizeHtml(html: string): string {
  return sanitize(html, options).trim()
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'", '#34': '"' }

/** Plain text of an HTML body: tags stripped, scripts/styles dropped, blocks on their own lines. */
export function htmlToText(html: string): string {
  const withBreaks = html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote|pre|dt|dd|table)\s*>/gi, '$&\n')
  const stripped = sanitize(withBreaks, { allowedTags: [], allowedAttributes: {}, nonTextTags: ['script', 'style', 'textarea', 'noscript', 'title', 'head'] })
  return stripped
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39|#34);/g, (_m, e: string) => entities[e] ?? '')
    .replace(/[ \t\f\v\r]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
