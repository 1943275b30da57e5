import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import { conversationSchema, type Conversation } from '../conversations/index.ts'
import type { AgentsService } from './agents.service.ts'
import type { DecisionsService } from './decisions.service.ts'
import type { Handover } from './handover.service.ts'
import { agentPresenceSchema, type PresenceBoard, presenceBoardQuery } from './presence-board.ts'
import type { QueuesService } from './queues.service.ts'
import {
  abReportSchema,
  agentRoutingSchema,
  createQueueBody,
  decisionKinds,
  decisionSchema,
  strategies,
  offerSchema,
  presenceBody,
  queueSchema,
  routingProfileBody,
  routingSettingsSchema,
  transferBody,
  updateQueueBody,
} from './routing.types.ts'

export interface RoutingRouteDeps {
  agents: AgentsService
  queues: QueuesService
  handover: Handover
  decisions: DecisionsService
  presence: PresenceBoard
  getConversation(actor: Parameters<AgentsService['getRouting']>[0], id: string): Promise<Conversation>
}

/** A case has few decisions: one page usually holds them all. */
const decisionsOfCaseQuery = listQuery.extend({ limit: z.coerce.number().int().min(1).max(100).default(100) })

export const routingRoutes =
  (d: RoutingRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Routing']

    app.put('/users/:id/presence', {
      schema: {
        tags,
        summary: 'Set an agent’s presence (agents their own; supervisors and admins anyone’s)',
        description: 'online: waiting cases drain to the agent at once. away/offline: pending offers are cancelled and passed on, live cases not yet started are re-queued, and async cases are released where the queue says so. busy: no new work.',
        params: idParam,
        body: presenceBody,
        response: { 200: agentRoutingSchema, ...commonErrors },
      },
    }, async (req) => d.agents.setPresence(req.actor, req.params.id, req.body))

    app.get('/users/:id/routing', { schema: { tags, summary: 'An agent’s presence, capacity, skills and current load', params: idParam, response: { 200: agentRoutingSchema, ...commonErrors } } }, async (req) =>
      d.agents.getRouting(req.actor, req.params.id),
    )

    app.get('/routing/agents', {
      schema: {
        tags,
        summary: 'Supervisors: every agent’s presence, its reason and since when, and load against capacity per channel (paginated, by name)',
        querystring: presenceBoardQuery,
        response: { 200: listOf(agentPresenceSchema), ...commonErrors },
      },
    }, async (req) => d.presence.list(req.actor, req.query))

    app.put('/users/:id/routing', {
      schema: { tags, summary: 'Set an agent’s capacity per channel and skills (supervisors and admins)', params: idParam, body: routingProfileBody, response: { 200: agentRoutingSchema, ...commonErrors } },
    }, async (req) => d.agents.setRouting(req.actor, req.params.id, req.body))

    app.get('/queues', { schema: { tags, summary: 'Queues, in the order their rules are tried (paginated)', querystring: listQuery, response: { 200: listOf(queueSchema), ...commonErrors } } }, async (req) =>
      d.queues.list(req.actor, req.query),
    )
    app.post('/queues', { schema: { tags, summary: 'Create a queue', body: createQueueBody, response: { 201: queueSchema, ...commonErrors } } }, async (req, reply) =>
      reply.status(201).send(await d.queues.create(req.actor, req.body)),
    )
    app.get('/queues/:id', { schema: { tags, summary: 'Get a queue', params: idParam, response: { 200: queueSchema, ...commonErrors } } }, async (req) => d.queues.get(req.actor, req.params.id))
    app.patch('/queues/:id', { schema: { tags, summary: 'Change a queue (position reorders)', params: idParam, body: updateQueueBody, response: { 200: queueSchema, ...commonErrors } } }, async (req) =>
      d.queues.update(req.actor, req.params.id, req.body),
    )
    app.delete('/queues/:id', { schema: { tags, summary: 'Delete a queue (409 QUEUE_NOT_EMPTY while cases wait in it)', params: idParam, response: { 204: z.null(), ...commonErrors } } }, async (req, reply) => {
      await d.queues.remove(req.actor, req.params.id)
      return reply.status(204).send(null)
    })
    app.get('/queues/:id/ab-report', { schema: { tags, summary: 'A/B test of a queue: time to assign, first response and resolution per arm', params: idParam, response: { 200: abReportSchema, ...commonErrors } } }, async (req) =>
      d.queues.abReport(req.actor, req.params.id),
    )

    app.get('/offers', {
      schema: {
        tags,
        summary: 'My offers (pending by default), newest first (paginated)',
        querystring: listQuery.extend({ state: z.enum(['pending', 'accepted', 'declined', 'expired', 'cancelled']).optional() }),
        response: { 200: listOf(offerSchema), ...commonErrors },
      },
    }, async (req) => d.handover.listOffers(req.actor, req.query))
    app.post('/offers/:id/accept', { schema: { tags, summary: 'Accept an offer: the case is assigned to me', params: idParam, response: { 200: offerSchema, ...commonErrors } } }, async (req) =>
      d.handover.accept(req.actor, req.params.id),
    )
    app.post('/offers/:id/decline', { schema: { tags, summary: 'Decline an offer: the next eligible agent is offered the case', params: idParam, response: { 200: offerSchema, ...commonErrors } } }, async (req) =>
      d.handover.decline(req.actor, req.params.id),
    )

    app.post('/conversations/:id/transfer', {
      schema: {
        tags,
        summary: 'Transfer a conversation to an agent, a team or a queue',
        description: 'The assignee, supervisors and admins may transfer. 422 TRANSFER_NOTE_REQUIRED without a note where the workspace requires one; 422 AGENT_AT_CAPACITY when the agent has no free capacity for the channel, unless a supervisor sets override.',
        params: idParam,
        body: transferBody,
        response: { 200: conversationSchema, ...commonErrors },
      },
    }, async (req) => {
      await d.handover.transfer(req.actor, req.params.id, req.body)
      return d.getConversation(req.actor, req.params.id)
    })

    app.get('/conversations/:id/routing-decisions', {
      schema: { tags, summary: 'Every routing decision about a conversation, oldest first (paginated; 100 a page by default)', params: idParam, querystring: decisionsOfCaseQuery, response: { 200: listOf(decisionSchema), ...commonErrors } },
    }, async (req) => d.decisions.ofConversation(req.actor, req.params.id, req.query))
    app.get('/routing-decisions', {
      schema: {
        tags,
        summary: 'Routing decisions, newest first, filtered by queue, kind, chosen agent, strategy, A/B arm and time',
        querystring: listQuery.extend({
          queueId: z.uuid().optional(),
          kind: z.enum(decisionKinds).optional(),
          winnerId: z.uuid().optional(),
          strategy: z.enum(strategies).optional(),
          arm: z.enum(['A', 'B']).optional(),
          since: z.iso.datetime({ offset: true }).optional(),
          until: z.iso.datetime({ offset: true }).optional(),
        }),
        response: { 200: listOf(decisionSchema), ...commonErrors },
      },
    }, async (req) => d.decisions.list(req.actor, req.query))

    app.get('/routing/settings', { schema: { tags, summary: 'The workspace’s routing settings', response: { 200: routingSettingsSchema, ...commonErrors } } }, async (req) => d.decisions.settings(req.actor))
    app.put('/routing/settings', { schema: { tags, summary: 'Change the workspace’s routing settings (admins)', body: z.strictObject({ transferNoteRequired: z.boolean() }), response: { 200: routingSettingsSchema, ...commonErrors } } }, async (req) =>
      d.decisions.saveSettings(req.actor, req.body),
    )
  }
