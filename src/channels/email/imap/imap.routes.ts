import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, idParam } from '../../../platform/http/schemas.ts'
import type { ImapService } from './imap.service.ts'
import { imapMailboxSchema } from './imap.types.ts'

export const imapRoutes =
  (imap: ImapService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Email']
    app.get('/email/mailboxes', {
      schema: {
        tags,
        summary: 'List the IMAP mailboxes (email inboxes with IMAP settings) with their health and folder checkpoints',
        response: { 200: z.object({ items: z.array(imapMailboxSchema), nextCursor: z.null() }), ...commonErrors },
      },
    }, async (req) => ({ items: await imap.list(req.actor), nextCursor: null }))

    app.get('/inboxes/:id/imap', {
      schema: {
        tags,
        summary: "An email inbox's IMAP mailbox: status (ok, failing, auth_failed), last fetch, last error, checkpoints",
        params: idParam,
        response: { 200: imapMailboxSchema, ...commonErrors },
      },
    }, async (req) => imap.get(req.actor, req.params.id))
  }
