import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { conflict, isUniqueViolation, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { page } from '../../platform/http/cursor.ts'
import { pageCalendars } from './lists.repository.ts'
import * as repo from './sla.repository.ts'
import type { Calendar, CalendarInput } from './sla.types.ts'

/** Tells the clocks to re-evaluate open cases (listeners/sla-config-changed.enqueue-rematch.ts). */
export const CONFIG_CHANGED = 'sla.config-changed'

const nameTaken = (err: unknown, what: string, name: string) =>
  isUniqueViolation(err) ? conflict(`A ${what} named "${name}" already exists`, { field: 'body.name' }) : err

/** Business calendars: weekly hours in a zone, holidays typed in or from a region. */
export function createCalendars(p: Platform) {
  return {
    async create(actor: Actor, input: CalendarInput): Promise<Calendar> {
      authorize(actor, 'workspace:write')
      try {
        return await p.tx(actor, async (trx) => {
          const cal = await repo.insertCalendar(trx, actor.workspaceId, { ...input, holidayRegion: input.holidayRegion ?? null })
          await recordAudit(trx, actor, { action: 'business-calendar.created', entityType: 'business_calendar', entityId: cal.id, changes: { after: input } })
          return cal
        })
      } catch (err) {
        throw nameTaken(err, 'calendar', input.name)
      }
    },

    async list(actor: Actor, q: { limit: number; cursor?: string | undefined }): Promise<{ items: Calendar[]; nextCursor: string | null }> {
      authorize(actor, 'workspace:read')
      const after = p.cursors.decode(q.cursor, 2)
      const rows = await p.tx(actor, (trx) => pageCalendars(trx, actor.workspaceId, { limit: q.limit, after }))
      return page(rows, q.limit, (c) => p.cursors.encode([c.name, c.id]))
    },

    async get(actor: Actor, id: string): Promise<Calendar> {
      authorize(actor, 'workspace:read')
      const cal = await p.tx(actor, (trx) => repo.findCalendar(trx, actor.workspaceId, id))
      if (!cal) throw notFound('Business calendar')
      return cal
    },

    /** A change re-evaluates every open case whose policy uses the calendar. */
    async update(actor: Actor, id: string, patch: Partial<CalendarInput>): Promise<Calendar> {
      authorize(actor, 'workspace:write')
      try {
        return await p.tx(actor, async (trx) => {
          const before = await repo.findCalendar(trx, actor.workspaceId, id, { forUpdate: true })
          if (!before) throw notFound('Business calendar')
          const next = { name: before.name, timeZone: before.timeZone, weeklyHours: before.weeklyHours, holidays: before.holidays, holidayRegion: before.holidayRegion, ...patch }
          if (patch.holidayRegion === undefined) next.holidayRegion = before.holidayRegion
          const after = await repo.updateCalendar(trx, actor.workspaceId, id, { ...next, holidayRegion: next.holidayRegion ?? null })
          await recordAudit(trx, actor, { action: 'business-calendar.updated', entityType: 'business_calendar', entityId: id, changes: { after: patch } })
          await appendEvent(trx, actor, { type: CONFIG_CHANGED, payload: { reason: 'calendar-updated', calendarId: id } })
          return after
        })
      } catch (err) {
        throw nameTaken(err, 'calendar', patch.name ?? '')
      }
    },

    /** 409 while a policy uses it. */
    async delete(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'workspace:write')
      await p.tx(actor, async (trx) => {
        // Locked: a policy created meanwhile that names this calendar waits for the delete (then fails its foreign key).
        const cal = await repo.findCalendar(trx, actor.workspaceId, id, { forUpdate: true })
        if (!cal) throw notFound('Business calendar')
        const users = await repo.policiesUsingCalendar(trx, actor.workspaceId, id)
        if (users.length) throw conflict(`The calendar is used by ${users.length} SLA ${users.length === 1 ? 'policy' : 'policies'}: ${users.join(', ')}`, { policies: users })
        await repo.deleteCalendar(trx, actor.workspaceId, id)
        await recordAudit(trx, actor, { action: 'business-calendar.deleted', entityType: 'business_calendar', entityId: id, changes: { before: cal } })
      })
    },
  }
}
export type Calendars = ReturnType<typeof createCalendars>
