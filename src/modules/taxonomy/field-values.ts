import type { CustomFieldType } from './taxonomy.types.ts'

/** Longest text value a custom field holds, in characters. */
export const maxTextLength = 10_000

export type Checked = { ok: true; value: unknown } | { ok: false; message: string }

const controlChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/
const decimal = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/
const dateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i

/** True when year-month-day names a real calendar day (no 30 February). */
function isCalendarDay(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d)
}

/**
 * Checks one custom field value against its field's type and returns the value
 * to store: dates as `YYYY-MM-DD` or a UTC ISO timestamp, numbers as numbers,
 * select values in the option's own spelling. `null` (clear) is always allowed.
 */
export function checkFieldValue(type: CustomFieldType, options: readonly string[], value: unknown): Checked {
  if (value === null) return { ok: true, value: null }
  switch (type) {
    case 'text':
      if (typeof value !== 'string') return { ok: false, message: 'must be a string' }
      if ([...value].length > maxTextLength) return { ok: false, message: `must be at most ${maxTextLength} characters` }
      // PostgreSQL jsonb cannot hold \u0000, and no person types the other control characters.
      if (controlChars.test(value)) return { ok: false, message: 'must not contain control characters' }
      if (!value.isWellFormed()) return { ok: false, message: 'must be well-formed Unicode' }
      return { ok: true, value }
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && decimal.test(value.trim()) ? Number(value.trim()) : Number.NaN
      if (!Number.isFinite(n)) return { ok: false, message: 'must be a finite number' }
      return { ok: true, value: n }
    }
    case 'boolean':
      if (typeof value !== 'boolean') return { ok: false, message: 'must be true or false' }
      return { ok: true, value }
    case 'date': {
      const s = typeof value === 'string' ? value.trim() : ''
      const day = dateOnly.exec(s)
      if (day && isCalendarDay(day[1]!, day[2]!, day[3]!)) return { ok: true, value: s }
      const at = dateTime.exec(s)
      if (at && isCalendarDay(at[1]!, at[2]!, at[3]!) && Number(at[4]) < 24 && Number(at[5]) < 60 && Number(at[7] ?? 0) < 60) {
        const ms = Date.parse(s.toUpperCase())
        if (Number.isFinite(ms)) return { ok: true, value: new Date(ms).toISOString() }
      }
      return { ok: false, message: 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone' }
    }
    case 'select': {
      if (typeof value !== 'string') return { ok: false, message: `must be one of: ${options.join(', ')}` }
      if (options.includes(value)) return { ok: true, value }
      // Forgive case and surrounding spaces, but store the option as defined.
      const wanted = value.trim().toLowerCase()
      const match = options.find((o) => o.toLowerCase() === wanted)
      if (match !== undefined) return { ok: true, value: match }
      return { ok: false, message: `must be one of: ${options.join(', ')}` }
    }
  }
}

/** A requirement counts as met only by a value someone actually set. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  return false
}
