import type { BlobStore } from '../../platform/blob-store.ts'

/** Twilio caps an MMS at 5 MB; a file past this is not fetched (the message keeps its URL and the reason). */
export const MAX_MEDIA_BYTES = 5 * 1024 * 1024
/** All of one message's media must arrive within this, so the webhook answers inside Twilio's 15 s. */
export const MEDIA_BUDGET_MS = 8000

export interface FetchedMedia {
  filename: string
  contentType: string
  size: number
  blobKey: string
}

export interface MediaFailure {
  url: string
  contentType: string
  error: string
}

const extensions: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'video/mp4': 'mp4',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/vcard': 'vcf',
}

/** A file name for a media item that has none (Twilio's URLs end in the media sid). */
export function mediaFilename(prefix: string, index: number, contentType: string): string {
  return `${prefix}-${index + 1}.${extensions[contentType.split(';')[0]?.trim() ?? ''] ?? 'bin'}`
}

/**
 * Reads a body up to `limit` bytes; past it, stops reading and throws, so an
 * oversize file never sits in memory whole.
 */
async function readLimited(res: Response, limit: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > limit) throw new Error(`${declared} bytes is more than the ${limit}-byte limit`)
  if (!res.body) return Buffer.alloc(0)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > limit) throw new Error(`more than the ${limit}-byte limit`)
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks)
}

/**
 * Fetches a provider's media (MMS files, call recordings) into the blob
 * store. Only URLs under the provider's API base are fetched (a signed
 * webhook names them, but the check keeps the server from being pointed
 * anywhere else); redirects (Twilio's CDN) are followed. With credentials,
 * the request carries HTTP basic auth, for accounts that protect media.
 */
export async function fetchMedia(
  blobs: BlobStore,
  items: Array<{ url: string; contentType: string; filename: string }>,
  o: { workspaceId: string; allowedOrigin: string; auth?: { user: string; password: string } | undefined; maxBytes?: number; budgetMs?: number },
): Promise<{ stored: FetchedMedia[]; failed: MediaFailure[] }> {
  const stored: FetchedMedia[] = []
  const failed: MediaFailure[] = []
  const signal = AbortSignal.timeout(o.budgetMs ?? MEDIA_BUDGET_MS)
  await Promise.all(
    items.map(async (item) => {
      try {
        if (new URL(item.url).origin !== o.allowedOrigin) throw new Error(`not under the provider's API (${o.allowedOrigin})`)
        const res = await fetch(item.url, { redirect: 'follow', signal, headers: o.auth ? { authorization: `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}` } : {} })
        if (!res.ok) throw new Error(`the provider answered ${res.status}`)
        const data = await readLimited(res, o.maxBytes ?? MAX_MEDIA_BYTES)
        const contentType = res.headers.get('content-type')?.split(';')[0]?.trim() || item.contentType
        const put = await blobs.put(data, { workspaceId: o.workspaceId, filename: item.filename })
        stored.push({ filename: item.filename, contentType, size: data.length, blobKey: put.key })
      } catch (err) {
        const e = err as Error
        failed.push({ url: item.url, contentType: item.contentType, error: e.name === 'TimeoutError' || e.name === 'AbortError' ? 'not fetched in time' : e.message })
      }
    }),
  )
  return { stored, failed }
}
