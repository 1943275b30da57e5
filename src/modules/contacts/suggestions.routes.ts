import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { ContactsService } from './contacts.service.ts'
import { contactSchema, mergeSchema } from './contacts.types.ts'
import { suggestionSchema, suggestionStatuses } from './suggestions.types.ts'

export const suggestionsRoutes =
  (contacts: ContactsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Contacts']
    app.get('/merge-suggestions', {
      schema: {
        tags,
        summary: 'Suggested merges of contacts from unverified evidence, newest first (default: the open ones)',
        description: '`contactId` keeps the suggestions where that contact is one of the two.',
        querystring: listQuery.extend({ status: z.enum(suggestionStatuses).default('open'), contactId: z.uuid().optional() }),
        response: { 200: listOf(suggestionSchema), ...commonErrors },
      },
    }, async (req) => contacts.listSuggestions(req.actor, req.query))

    app.post('/merge-suggestions/:id/accept', {
      schema: {
        tags,
        summary: 'Accept: contact B is merged into contact A (or into targetContactId); undo with POST /contact-merges/{mergeId}/undo',
        params: idParam,
        body: z.strictObject({ targetContactId: z.uuid().optional() }).optional(),
        response: { 200: z.object({ suggestion: suggestionSchema, merge: mergeSchema, contact: contactSchema }), ...commonErrors },
      },
    }, async (req) => contacts.acceptSuggestion(req.actor, req.params.id, req.body ?? {}))

    app.post('/merge-suggestions/:id/reject', {
      schema: { tags, summary: 'Reject: the two contacts stay apart', params: idParam, response: { 200: suggestionSchema, ...commonErrors } },
    }, async (req) => contacts.rejectSuggestion(req.actor, req.params.id))
  }
