import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { Calendars } from './calendars.service.ts'
import type { Clocks } from './clocks.service.ts'
import type { Policies } from './policies.service.ts'
import {
  calendarBody,
  calendarPatch,
  calendarSchema,
  conversationSlaDetailSchema,
  historySimulationSchema,
  policyBody,
  policyPatch,
  policySchema,
  simulateBody,
  simulateHistoryBody,
  simulationSchema,
} from './sla.types.ts'

export const slaRoutes =
  (s: { calendars: Calendars; policies: Policies; clocks: Clocks }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Service levels']

    app.post('/business-calendars', {
      schema: { tags, summary: 'Create a business calendar: weekly hours (several slots a day) in a time zone, holidays typed in or from a region', body: calendarBody, response: { 201: calendarSchema, ...commonErrors } },
    }, async (req, reply) => reply.status(201).send(await s.calendars.create(req.actor, req.body)))

    app.get('/business-calendars', {
      schema: { tags, summary: 'List business calendars by name (paginated)', querystring: listQuery, response: { 200: listOf(calendarSchema), ...commonErrors } },
    }, async (req) => s.calendars.list(req.actor, req.query))

    app.get('/business-calendars/:id', {
      schema: { tags, summary: 'Get a business calendar', params: idParam, response: { 200: calendarSchema, ...commonErrors } },
    }, async (req) => s.calendars.get(req.actor, req.params.id))

    app.patch('/business-calendars/:id', {
      schema: { tags, summary: 'Change a business calendar; open cases on it are re-evaluated', params: idParam, body: calendarPatch, response: { 200: calendarSchema, ...commonErrors } },
    }, async (req) => s.calendars.update(req.actor, req.params.id, req.body))

    app.delete('/business-calendars/:id', {
      schema: { tags, summary: 'Delete a business calendar (409 while a policy uses it)', params: idParam, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await s.calendars.delete(req.actor, req.params.id)
      return reply.status(204).send(null)
    })

    app.post('/sla-policies', {
      schema: { tags, summary: 'Create an SLA policy (ordered by position; the first active match wins)', body: policyBody, response: { 201: policySchema, ...commonErrors } },
    }, async (req, reply) => reply.status(201).send(await s.policies.create(req.actor, req.body)))

    app.get('/sla-policies', {
      schema: { tags, summary: 'List SLA policies in matching order (paginated)', querystring: listQuery, response: { 200: listOf(policySchema), ...commonErrors } },
    }, async (req) => s.policies.list(req.actor, req.query))

    app.post('/sla-policies/simulate-history', {
      schema: {
        tags,
        summary: 'What if: how many of the last N days\u2019 cases a draft policy would take and would have breached',
        body: simulateHistoryBody,
        response: { 200: historySimulationSchema, ...commonErrors },
      },
    }, async (req) => s.policies.simulateHistory(req.actor, req.body))

    app.get('/sla-policies/:id', {
      schema: { tags, summary: 'Get an SLA policy', params: idParam, response: { 200: policySchema, ...commonErrors } },
    }, async (req) => s.policies.get(req.actor, req.params.id))

    app.patch('/sla-policies/:id', {
      schema: { tags, summary: 'Change an SLA policy; open cases are re-matched and re-evaluated', params: idParam, body: policyPatch, response: { 200: policySchema, ...commonErrors } },
    }, async (req) => s.policies.update(req.actor, req.params.id, req.body))

    app.delete('/sla-policies/:id', {
      schema: { tags, summary: 'Delete an SLA policy; its open cases are re-matched', params: idParam, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await s.policies.delete(req.actor, req.params.id)
      return reply.status(204).send(null)
    })

    app.post('/sla-policies/:id/simulate', {
      schema: {
        tags,
        summary: 'Run a made-up case through a policy: due times, breaches and an explanation (touches no case)',
        params: idParam,
        body: simulateBody,
        response: { 200: simulationSchema, ...commonErrors },
      },
    }, async (req) => s.policies.simulate(req.actor, req.params.id, req.body))

    app.get('/conversations/:id/sla', {
      schema: {
        tags,
        summary: 'A conversation\u2019s SLA clocks now: due times, remaining, breaches, and every stored start, pause, resume, fulfilment and breach',
        params: idParam,
        response: { 200: conversationSlaDetailSchema, ...commonErrors },
      },
    }, async (req) => s.clocks.detail(req.actor, req.params.id))
  }
