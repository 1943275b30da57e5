import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, freeformObject, humanText, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { ContactsService } from './contacts.service.ts'
import { contactSchema, identityKinds, mergeSchema } from './contacts.types.ts'

const name = humanText(200)
// Values are checked per kind by normaliseIdentity in the service (400 naming the field).
const identityBody = z.strictObject({ kind: z.enum(identityKinds), value: z.string().max(1000) })
const attributes = freeformObject({ maxKeys: 200, maxBytes: 32 * 1024, keyMax: 100 })

export const contactsRoutes =
  (contacts: ContactsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Contacts']
    app.post('/contacts', {
      schema: {
        tags,
        summary: 'Create a contact (409 IDENTITY_TAKEN if an identity already belongs to another contact)',
        body: z.strictObject({ name: name.nullable().optional(), attributes: attributes.optional(), identities: z.array(identityBody).max(50).optional() }),
        response: { 201: contactSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await contacts.create(req.actor, req.body)))

    app.get('/contacts', {
      schema: {
        tags,
        summary: 'List or search contacts by name or identity (merged-away contacts are hidden)',
        querystring: listQuery.extend({ query: z.string().max(320).optional() }),
        response: { 200: listOf(contactSchema), ...commonErrors },
      },
    }, async (req) => contacts.list(req.actor, req.query))

    app.get('/contacts/:id', {
      schema: { tags, summary: 'Get a contact (the read is audited as contact.viewed)', params: idParam, response: { 200: contactSchema, ...commonErrors } },
    }, async (req) => contacts.get(req.actor, req.params.id))

    app.patch('/contacts/:id', {
      schema: {
        tags,
        summary: 'Update a contact: set the name; attributes are merged into the existing ones (null removes a key)',
        params: idParam,
        body: z.strictObject({ name: name.nullable().optional(), attributes: attributes.optional() }),
        response: { 200: contactSchema, ...commonErrors },
      },
    }, async (req) => contacts.update(req.actor, req.params.id, req.body))

    app.delete('/contacts/:id', {
      schema: { tags, summary: 'Delete a contact without conversations (422 otherwise)', params: idParam, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await contacts.delete(req.actor, req.params.id)
      return reply.status(204).send(null)
    })

    app.post('/contacts/:id/identities', {
      schema: { tags, summary: 'Add an identity to a contact', params: idParam, body: identityBody, response: { 201: contactSchema, ...commonErrors } },
    }, async (req, reply) => reply.status(201).send(await contacts.addIdentity(req.actor, req.params.id, req.body)))

    app.delete('/contacts/:id/identities/:identityId', {
      schema: {
        tags,
        summary: 'Remove an identity from a contact',
        params: z.strictObject({ id: z.uuid(), identityId: z.uuid() }),
        response: { 204: z.null(), ...commonErrors },
      },
    }, async (req, reply) => {
      await contacts.removeIdentity(req.actor, req.params.id, req.params.identityId)
      return reply.status(204).send(null)
    })

    app.post('/contacts/:id/identities/:identityId/deliverability/clear', {
      schema: {
        tags,
        summary: 'Make a bounced email address deliverable again (clears a hard bounce, a soft-bounce streak and pause); audited',
        description:
          'After a hard bounce (unknown user, unknown domain, moved…) nothing is sent to the address until an agent clears it here, e.g. once the customer confirms the address works. The identity keeps its last bounce for history; `deliverability.status` becomes `ok`.',
        params: z.strictObject({ id: z.uuid(), identityId: z.uuid() }),
        response: { 200: contactSchema, ...commonErrors },
      },
    }, async (req) => contacts.clearDeliverability(req.actor, req.params.id, req.params.identityId))

    app.post('/contacts/:id/merge', {
      schema: {
        tags,
        summary: 'Merge another contact (sourceContactId) into this one; undo with POST /contact-merges/{id}/undo',
        params: idParam,
        body: z.strictObject({ sourceContactId: z.uuid() }),
        response: { 200: z.object({ merge: mergeSchema, contact: contactSchema }), ...commonErrors },
      },
    }, async (req) => contacts.merge(req.actor, req.params.id, req.body.sourceContactId))

    app.post('/contact-merges/:id/undo', {
      schema: {
        tags,
        summary: 'Undo a merge (409 if already undone)',
        params: idParam,
        response: { 200: z.object({ merge: mergeSchema, contact: contactSchema, sourceContact: contactSchema }), ...commonErrors },
      },
    }, async (req) => contacts.undoMerge(req.actor, req.params.id))

    app.get('/contacts/:id/merges', {
      schema: {
        tags,
        summary: 'Merges this contact took part in, newest first',
        params: idParam,
        response: { 200: z.object({ items: z.array(mergeSchema), nextCursor: z.null() }), ...commonErrors },
      },
    }, async (req) => ({ items: await contacts.mergeHistory(req.actor, req.params.id), nextCursor: null }))
  }
