import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { AppError, conflict, isUniqueViolation, notFound } from '../../platform/errors.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './taxonomy.repository.ts'
import { normaliseTagName, type Tag, toTag } from './taxonomy.types.ts'

/** A name from a URL: one that cannot be normalised names no tag, so it is simply not found. */
const tagNameOrNotFound = (raw: string): string => {
  const n = normaliseTagName(raw)
  if ('error' in n) throw notFound('Tag')
  return n.name
}

export function createTagsService(p: Platform) {
  return {
    /** Tags in name order; `q` keeps those whose name starts with it (for autocomplete). */
    async listTags(actor: Actor, q: { limit: number; cursor?: string | undefined; q?: string | undefined }) {
      authorize(actor, 'taxonomy:read')
      const after = p.cursors.decode(q.cursor, 1)?.[0] ?? null
      const prefix = q.q ? q.q.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase() : null
      const rows = await p.tx(actor, (trx) => repo.listTags(trx, actor.workspaceId, { limit: q.limit, after, prefix }))
      return page(rows.map(toTag), q.limit, (t) => p.cursors.encode([t.name]))
    },

    async createTag(actor: Actor, input: { name: string; color?: string | null | undefined }): Promise<Tag> {
      authorize(actor, 'tags:write')
      const n = normaliseTagName(input.name)
      if ('error' in n) throw new AppError('VALIDATION_FAILED', `Invalid tag name: ${n.error}`, [{ field: 'body.name', message: n.error }])
      const color = input.color ? input.color.toLowerCase() : null
      return p.tx(actor, async (trx) => {
        if (await repo.findTag(trx, actor.workspaceId, n.name)) throw conflict(`The tag "${n.name}" already exists`)
        const row = await repo.insertTag(trx, actor.workspaceId, { name: n.name, color }).catch((err: unknown) => {
          throw isUniqueViolation(err) ? conflict(`The tag "${n.name}" already exists`) : err
        })
        await recordAudit(trx, actor, { action: 'tag.created', entityType: 'tag', entityId: row.name, changes: { after: { name: row.name, color: row.color } } })
        return toTag(row)
      })
    },

    async updateTag(actor: Actor, rawName: string, patch: { color: string | null }): Promise<Tag> {
      authorize(actor, 'taxonomy:write')
      const name = tagNameOrNotFound(rawName)
      const color = patch.color ? patch.color.toLowerCase() : null
      return p.tx(actor, async (trx) => {
        const before = await repo.findTag(trx, actor.workspaceId, name)
        if (!before) throw notFound('Tag')
        const row = await repo.updateTagColor(trx, actor.workspaceId, name, color)
        if (!row) throw notFound('Tag')
        if (before.color !== row.color)
          await recordAudit(trx, actor, { action: 'tag.updated', entityType: 'tag', entityId: name, changes: { before: { color: before.color }, after: { color: row.color } } })
        return toTag(row)
      })
    },

    /** Deletes a tag; it disappears from every conversation that carried it. */
    async deleteTag(actor: Actor, rawName: string): Promise<void> {
      authorize(actor, 'taxonomy:write')
      const name = tagNameOrNotFound(rawName)
      await p.tx(actor, async (trx) => {
        const r = await repo.deleteTag(trx, actor.workspaceId, name)
        if (Number(r.numDeletedRows) === 0) throw notFound('Tag')
        await recordAudit(trx, actor, { action: 'tag.deleted', entityType: 'tag', entityId: name })
      })
    },
  }
}
