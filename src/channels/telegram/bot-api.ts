import { createHmac } from 'node:crypto'
import type { ResolvedInbox } from '../channel.ts'
import { fallbackFilename } from '../meta/graph.ts'
import { MAX_INBOUND_MEDIA_BYTES, type MediaFetcher } from '../meta/inbound.worker.ts'
import { callProvider, downloadCapped, type ProviderCall } from '../meta/provider-http.ts'

/** Telegram's public Bot API; an inbox's `apiBaseUrl` replaces it (a sandbox, a local Bot API server). */
export const TELEGRAM_BASE_URL = 'https://api.telegram.org'

const base = (apiBaseUrl: string | undefined) => (apiBaseUrl ?? TELEGRAM_BASE_URL).replace(/\/+$/, '')
export const botUrl = (apiBaseUrl: string | undefined, token: string, method: string) => `${base(apiBaseUrl)}/bot${token}/${method}`
export const fileUrl = (apiBaseUrl: string | undefined, token: string, filePath: string) => `${base(apiBaseUrl)}/file/bot${token}/${filePath}`

/**
 * The secret Telegram echoes in `X-Telegram-Bot-Api-Secret-Token` on every
 * update: derived from the bot token and the inbox, so it needs no storage,
 * is never shown, and changes with the token (setWebhook is called again then).
 * Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -.
 */
export function webhookSecretFor(inboxId: string, botToken: string): string {
  return createHmac('sha256', botToken).update(`omnidesk telegram webhook ${inboxId}`).digest('hex')
}

/** Bot API errors: `{ ok: false, error_code, description, parameters: { retry_after } }`. */
export const classifyTelegramError: NonNullable<ProviderCall['classify']> = (status, body) => {
  const b = body as { error_code?: number; description?: string; parameters?: { retry_after?: number } } | null
  if (!b || typeof b.error_code !== 'number') return undefined
  const said = `Telegram ${b.error_code}: ${b.description ?? 'no description'}`
  const retryAfter = b.parameters?.retry_after
  if (status === 429 || b.error_code === 429)
    return { code: 'PROVIDER_RATE_LIMITED', retryable: true, message: `${said}${retryAfter ? ` (retry after ${retryAfter} s)` : ''}`, ...(typeof retryAfter === 'number' && retryAfter > 0 && { retryAfterSeconds: Math.ceil(retryAfter) }) }
  if (status >= 500) return { code: 'PROVIDER_UNAVAILABLE', retryable: true, message: said }
  if (status === 401 || status === 404) return { code: 'PROVIDER_AUTH_FAILED', retryable: false, message: `${said} (is the bot token right?)` }
  if (status === 403) return { code: 'RECIPIENT_UNAVAILABLE', retryable: false, message: `${said} (the user blocked the bot or never started it)` }
  return { code: 'PROVIDER_REJECTED', retryable: false, message: said }
}

type BotResult<T> = { ok: boolean; result?: T; description?: string }

export async function callBot<T>(apiBaseUrl: string | undefined, token: string, method: string, payload: { json?: unknown; form?: FormData; timeoutMs?: number } = {}) {
  return callProvider<BotResult<T>>({ url: botUrl(apiBaseUrl, token, method), ...payload, classify: classifyTelegramError, redact: [token] })
}

/** Points the bot's webhook at this inbox, with its secret token. */
export async function setWebhook(inbox: { id: string; config: Record<string, unknown> }, botToken: string, publicUrl: string) {
  const url = `${publicUrl.replace(/\/+$/, '')}/webhooks/telegram/${inbox.id}`
  const r = await callBot<boolean>(inbox.config.apiBaseUrl as string | undefined, botToken, 'setWebhook', {
    json: { url, secret_token: webhookSecretFor(inbox.id, botToken), allowed_updates: ['message', 'edited_message'], drop_pending_updates: false },
  })
  return r.ok ? ({ ok: true, url } as const) : r
}

/** Telegram files: `getFile` gives a path (files up to 20 MB), downloaded from `/file/bot<token>/<path>`. */
export const telegramMediaFetcher: MediaFetcher = async (inbox: ResolvedInbox, media) => {
  const token = String(inbox.secrets.botToken ?? '')
  const apiBaseUrl = inbox.config.apiBaseUrl as string | undefined
  const info = await callBot<{ file_path?: string; file_size?: number }>(apiBaseUrl, token, 'getFile', { json: { file_id: media.ref } })
  if (!info.ok) return { ...info, code: info.code === 'PROVIDER_REJECTED' ? 'MEDIA_TOO_LARGE_OR_GONE' : 'MEDIA_DOWNLOAD_FAILED' }
  const path = info.body.result?.file_path
  if (!path) return { ok: false, retryable: false, code: 'MEDIA_DOWNLOAD_FAILED', message: 'getFile gave no file_path' }
  const got = await downloadCapped(fileUrl(apiBaseUrl, token, path), { maxBytes: MAX_INBOUND_MEDIA_BYTES, redact: [token] })
  if (!got.ok) return got
  const contentType = media.contentType ?? got.contentType?.split(';')[0] ?? 'application/octet-stream'
  return { ok: true, data: got.data, contentType, filename: media.filename ?? (path.split('/').pop() || fallbackFilename(media.kind, contentType)) }
}
