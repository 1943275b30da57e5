import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/** A high-entropy bearer secret such as `odk_3kq…`. Stored only as its SHA-256. */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

/** JSON with object keys sorted at every depth, so a hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/**
 * Symmetric encryption for secrets at rest (inbox credentials) and HMAC signing
 * (pagination cursors). AES-256-GCM with a random IV per value.
 */
export interface SecretBox {
  encrypt(plain: string): string
  decrypt(sealed: string): string
  sign(data: string): string
}

export function createSecretBox(keyMaterial: string): SecretBox {
  const key = createHash('sha256').update(`omnidesk-encryption:${keyMaterial}`).digest()
  const macKey = createHash('sha256').update(`omnidesk-signing:${keyMaterial}`).digest()
  return {
    encrypt(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`
    },
    decrypt(sealed) {
      if (!sealed.startsWith('v1.')) throw new Error('Unknown secret format')
      const raw = Buffer.from(sealed.slice(3), 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
    },
    sign(data) {
      return createHmac('sha256', macKey).update(data).digest('base64url').slice(0, 22)
    },
  }
}

/**
 * The instance's secret key: OMNIDESK_SECRET_KEY when set, otherwise a key generated
 * on first start and kept in `<dataDir>/secret.key` (mode 0600).
 */
export function resolveSecretKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured
  const file = path.join(dataDir, 'secret.key')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  fs.mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32).toString('base64url')
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  return key
}
