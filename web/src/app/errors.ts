import { ApiError } from '../api/client'
import type { TFunction } from '../i18n'

/**
 * An error in words a person understands: the server's message is written for
 * people already; a known code gets a friendlier sentence from the catalogue.
 */
export function errorText(t: TFunction, err: unknown): string {
  if (err instanceof ApiError) {
    const key = `errors.${err.code}`
    const friendly = t(key, { defaultValue: '' })
    if (friendly) return ['REQUIRED_FIELDS_MISSING', 'VALIDATION_FAILED', 'FORBIDDEN'].includes(err.code) ? `${friendly} ${err.message}` : friendly
    return err.message
  }
  return err instanceof Error ? err.message : String(err)
}
