import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { notFound } from '../../platform/errors.ts'
import { commonErrors, idParam } from '../../platform/http/schemas.ts'
import type { Platform } from '../../platform/platform.ts'
import { listConsents } from './consent.repository.ts'

const consentSchema = z
  .object({
    channel: z.string(),
    status: z.enum(['granted', 'withdrawn']),
    source: z.string().describe('`keyword` (the contact texted STOP/START) or who set it'),
    keyword: z.string().nullable(),
    identity: z.string().nullable().describe('The number (or address) it came from'),
    inboxId: z.string().nullable(),
    changedAt: z.string(),
  })
  .meta({ id: 'Consent' })

/** `GET /contacts/{id}/consents`: the contact's latest word on being messaged, per channel (why a reply is refused). */
export function consentRoutes(p: Platform): FastifyPluginAsyncZod {
  async function list(actor: Actor, contactId: string) {
    authorize(actor, 'contacts:read')
    return p.tx(actor, async (trx) => {
      const contact = await trx.selectFrom('contacts').select('id').where('workspace_id', '=', actor.workspaceId).where('id', '=', contactId).executeTakeFirst()
      if (!contact) throw notFound('Contact')
      return (await listConsents(trx, actor.workspaceId, contactId)).map(({ contactId: _c, ...c }) => c)
    })
  }
  return async (app) => {
    app.get('/contacts/:id/consents', {
      schema: { tags: ['Contacts'], summary: "The contact's consent per channel (no entry: never said; messaging allowed)", params: idParam, response: { 200: z.object({ items: z.array(consentSchema), nextCursor: z.null() }), ...commonErrors } },
    }, async (req) => ({ items: await list(req.actor, req.params.id), nextCursor: null }))
  }
}
