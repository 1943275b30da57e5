import { createRequire } from 'node:module'
import type HolidaysType from 'date-holidays'
import { DateTime } from 'luxon'

const require = createRequire(import.meta.url)
let holidaysLib: typeof HolidaysType | undefined
/** date-holidays (every country's rules) is loaded on first use, not at start (~0.1–0.25 s). */
const Holidays = () => (holidaysLib ??= require('date-holidays') as typeof HolidaysType)

/**
 * Business-time arithmetic on a calendar (pure: no I/O). Every instant is an
 * absolute `Date`; weekly hours are wall-clock times in the calendar's zone,
 * turned into absolute intervals day by day with luxon, so a DST change day
 * has its real length (a 09:00–17:00 slot on the spring-forward day is still
 * eight hours, a 00:00–04:00 slot is three). Minutes may be fractional.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof weekdays)[number]

/** `[["09:00","12:00"],["13:00","17:00"]]`: several slots a day; "24:00" ends a slot at midnight. */
export type WeeklyHours = Partial<Record<Weekday, Array<[string, string]>>>

export interface CalendarDefinition {
  timeZone: string
  weeklyHours: WeeklyHours
  /** Typed-in holidays, `YYYY-MM-DD` in the calendar's zone. */
  holidays: Array<{ date: string; name: string }>
  /** A `date-holidays` country or country-region ("FR", "US-CA"): its public holidays count too. */
  holidayRegion: string | null
}

/** How time is counted for a policy: business time on a calendar, or plain elapsed time. */
export interface TimeCounter {
  /** The instant `minutes` of counted time after `start`. */
  addMinutes(start: Date, minutes: number): Date
  /** Counted minutes between two instants (0 when `to` is not after `from`). */
  minutesBetween(from: Date, to: Date): number
  /** A holiday's name when `date` (`YYYY-MM-DD` in the zone) is one. */
  holidayOn?(date: string): string | null
}

const MS = 60_000
/** A target longer than this many days of searching has no business time to land in. */
const MAX_DAYS = 3 * 366

export const elapsedTime: TimeCounter = {
  addMinutes: (start, minutes) => new Date(start.getTime() + minutes * MS),
  minutesBetween: (from, to) => Math.max(0, (to.getTime() - from.getTime()) / MS),
}

const parseHm = (s: string): [number, number] => {
  const m = /^(\d{2}):(\d{2})$/.exec(s)
  if (!m) throw new Error(`Invalid time ${s}`)
  return [Number(m[1]), Number(m[2])]
}

/** Minutes since midnight of "HH:MM" (24:00 = 1440), or null when malformed. */
export function minuteOfDay(s: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(s)
  if (!m) return null
  const h = Number(m[1])
  const min = Number(m[2])
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null
  return h * 60 + min
}

/** Whether `region` ("FR", "US-CA") is one date-holidays knows. */
export function isKnownHolidayRegion(region: string): boolean {
  const [country, state] = region.split('-')
  if (!country) return false
  const countries = new (Holidays())().getCountries()
  if (!countries[country.toUpperCase()]) return false
  if (!state) return true
  const states = new (Holidays())().getStates(country.toUpperCase()) ?? {}
  return Boolean(states[state.toUpperCase()])
}

/** Public holidays of a region in a year, `YYYY-MM-DD` → name. */
function regionHolidays(region: string, year: number): Map<string, string> {
  const [country, state] = region.toUpperCase().split('-')
  const hd = state ? new (Holidays())(country!, state) : new (Holidays())(country!)
  const out = new Map<string, string>()
  for (const h of hd.getHolidays(year) || []) if (h.type === 'public') out.set(h.date.slice(0, 10), h.name)
  return out
}

/** A calendar compiled for arithmetic; days are cached (a calendar is immutable once compiled). */
export function compileCalendar(def: CalendarDefinition): TimeCounter {
  const typed = new Map(def.holidays.map((h) => [h.date, h.name]))
  const regionYears = new Map<number, Map<string, string>>()

  const holidayOn = (date: string): string | null => {
    const t = typed.get(date)
    if (t) return t
    if (!def.holidayRegion) return null
    const year = Number(date.slice(0, 4))
    let m = regionYears.get(year)
    if (!m) regionYears.set(year, (m = regionHolidays(def.holidayRegion, year)))
    return m.get(date) ?? null
  }

  /** Absolute [start, end) millisecond intervals of business time on a local day. */
  const intervalsOn = (day: DateTime): Array<[number, number]> => {
    const key = day.toISODate()!
    if (holidayOn(key)) return []
    const out: Array<[number, number]> = []
    for (const [from, to] of def.weeklyHours[weekdays[day.weekday - 1]!] ?? []) {
      const [fh, fm] = parseHm(from)
      const [th, tm] = parseHm(to)
      // Wall-clock times in the zone; a time inside a spring-forward gap moves forward, as the clock on the wall does.
      const a = day.set({ hour: fh, minute: fm, second: 0, millisecond: 0 }).toMillis()
      const b = th === 24 ? day.plus({ days: 1 }).startOf('day').toMillis() : day.set({ hour: th, minute: tm, second: 0, millisecond: 0 }).toMillis()
      if (b > a) out.push([a, b])
    }
    return out.sort((x, y) => x[0] - y[0])
  }

  // Luxon is exact but not cheap: each local day is worked out once (its start, the next
  // day's start, its intervals) and then walked as plain numbers.
  interface Day {
    start: number
    next: number
    intervals: Array<[number, number]>
  }
  const days = new Map<number, Day>()
  const dayOfStart = new Map<number, number>()
  const QUARTER = 15 * MS
  const remember = <K, V>(m: Map<K, V>, k: K, v: V) => {
    if (m.size > 20_000) m.clear()
    m.set(k, v)
    return v
  }
  const dayStarting = (start: number, dt?: DateTime): Day => {
    const hit = days.get(start)
    if (hit) return hit
    const d = dt ?? DateTime.fromMillis(start, { zone: def.timeZone })
    return remember(days, start, { start, next: d.plus({ days: 1 }).startOf('day').toMillis(), intervals: intervalsOn(d) })
  }
  /** The local day containing an instant (zone offsets change on quarter-hour boundaries, so a quarter maps to one day). */
  const dayOf = (ms: number): Day => {
    const q = Math.floor(ms / QUARTER)
    const start = dayOfStart.get(q)
    if (start !== undefined) return dayStarting(start)
    const d = DateTime.fromMillis(ms, { zone: def.timeZone }).startOf('day')
    remember(dayOfStart, q, d.toMillis())
    return dayStarting(d.toMillis(), d)
  }

  return {
    holidayOn,
    addMinutes(start, minutes) {
      let remaining = minutes * MS
      const cursor = start.getTime()
      let day = dayOf(cursor)
      for (let i = 0; i < MAX_DAYS; i++, day = dayStarting(day.next)) {
        for (const [a, b] of day.intervals) {
          if (b <= cursor) continue
          const from = Math.max(a, cursor)
          const avail = b - from
          if (remaining <= avail) {
            // A clock that starts (or is left) with nothing to count lands where counting would begin.
            return new Date(from + remaining)
          }
          remaining -= avail
        }
      }
      throw new Error(`No business time within ${MAX_DAYS} days of ${start.toISOString()}`)
    },
    minutesBetween(from, to) {
      const a0 = from.getTime()
      const b0 = to.getTime()
      if (b0 <= a0) return 0
      let total = 0
      for (let day = dayOf(a0); day.start < b0; day = dayStarting(day.next)) {
        for (const [a, b] of day.intervals) {
          const lo = Math.max(a, a0)
          const hi = Math.min(b, b0)
          if (hi > lo) total += hi - lo
        }
      }
      return total / MS
    },
  }
}
