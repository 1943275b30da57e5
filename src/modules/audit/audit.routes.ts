import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { AuditService } from './audit.service.ts'

const auditEventSchema = z
  .object({
    id: z.string(),
    seq: z.string(),
    actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() }),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string().nullable(),
    changes: z.unknown(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' })

export const auditRoutes =
  (audit: AuditService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Audit']
    app.get('/audit-events', {
      schema: {
        tags,
        summary: 'The audit log, newest first',
        querystring: listQuery.extend({ entityType: z.string().max(64).optional(), entityId: z.string().max(64).optional(), action: z.string().max(64).optional() }),
        response: { 200: listOf(auditEventSchema), ...commonErrors },
      },
    }, async (req) => audit.list(req.actor, req.query))

    app.get('/audit-events/verify', {
      schema: {
        tags,
        summary: 'Recompute the hash chain and report whether it is intact',
        response: { 200: z.object({ intact: z.boolean(), checked: z.number(), firstBrokenSeq: z.string().nullable(), reason: z.string().nullable() }), ...commonErrors },
      },
    }, async (req) => audit.verify(req.actor))
  }
