import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { BlobStore } from '../platform/blob-store.ts'
import type { SecretBox } from '../platform/crypto.ts'
import { safeEqual } from '../platform/crypto.ts'
import { AppError } from '../platform/errors.ts'

/**
 * Signed, expiring public links to outbound attachments, for providers that
 * fetch a message's files from a URL instead of taking them in the request
 * (Twilio's `MediaUrl` for MMS). `GET /media/<token>` serves the file while
 * the token's HMAC (the instance's signing key) matches and its expiry has
 * not passed; anything else is a 404 that says nothing about the file.
 * The token names the blob, not the message: no database read, no workspace
 * data beyond the file itself.
 */

const payloadSchema = z.object({ k: z.string().min(1).max(500), t: z.string().min(1).max(200), n: z.string().min(1).max(255), e: z.number().int() })
type LinkPayload = z.infer<typeof payloadSchema>

export interface LinkedFile {
  blobKey: string
  contentType: string
  filename: string
}

/** The public URL of `file`, working for `ttlSeconds` from `now`. */
export function mediaLink(box: Pick<SecretBox, 'sign'>, publicUrl: string, file: LinkedFile, ttlSeconds: number, now = Date.now()): string {
  const payload: LinkPayload = { k: file.blobKey, t: file.contentType, n: file.filename, e: Math.floor(now / 1000) + ttlSeconds }
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${publicUrl.replace(/\/+$/, '')}/media/${body}.${box.sign(`media-link:${body}`)}`
}

/** The file a token names, or null when it is forged, malformed or expired. */
export function openMediaLink(box: Pick<SecretBox, 'sign'>, token: string, now = Date.now()): LinkedFile | null {
  const [body, mac, ...rest] = token.split('.')
  if (!body || !mac || rest.length > 0 || !safeEqual(mac, box.sign(`media-link:${body}`))) return null
  let parsed: ReturnType<typeof payloadSchema.safeParse>
  try {
    parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')))
  } catch {
    return null
  }
  if (!parsed.success || parsed.data.e * 1000 < now) return null
  return { blobKey: parsed.data.k, contentType: parsed.data.t, filename: parsed.data.n }
}

/** `GET /media/<token>`: public (the token is the credential), outside /api/v1. */
export function mediaLinkRoutes(deps: { box: Pick<SecretBox, 'sign'>; blobs: Pick<BlobStore, 'get'> }): FastifyPluginAsync {
  return async (app) => {
    // A wildcard, not `:token`: Fastify refuses path parameters over 100 characters (414).
    app.get<{ Params: { '*': string } }>('/media/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      const token = req.params['*']
      const file = token.length <= 2000 ? openMediaLink(deps.box, token) : null
      if (!file) throw new AppError('NOT_FOUND', 'This media link is invalid or has expired')
      let data: Buffer
      try {
        data = await deps.blobs.get(file.blobKey)
      } catch {
        throw new AppError('NOT_FOUND', 'This media link is invalid or has expired')
      }
      return reply
        .header('content-type', file.contentType)
        .header('content-disposition', `inline; filename="${file.filename.replace(/[^\w.\- ]/g, '_')}"`)
        .header('cache-control', 'private, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(data)
    })
  }
}
