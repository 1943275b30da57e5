import type { FastifyInstance } from 'fastify'
import { canonicalJson, sha256Hex } from '../crypto.ts'
import type { Db } from '../db/database.ts'
import { withTenant } from '../db/tenant.ts'
import { AppError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim?: { key: string; principal: string }
  }
}

/**
 * `Idempotency-Key` on any authenticated POST: the first request with a key
 * claims it; when it succeeds its response is stored and a retry with the same
 * key and body gets that response again (header `Idempotent-Replayed: true`)
 * instead of creating a second record. The same key with another body is a 422;
 * a retry while the first is still running is a 409. A failed request releases
 * its key so it can be retried.
 */
export function installIdempotency(app: FastifyInstance, db: Db): void {
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key']
    if (request.method !== 'POST' || typeof key !== 'string' || !request.actor) return
    if (key.length === 0 || key.length > 255) throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 characters')
    const actor = request.actor
    const principal = actor.tokenId ? `token:${actor.tokenId}` : `user:${actor.userId ?? 'system'}`
    const path = request.url.split('?')[0] ?? request.url
    const requestHash = sha256Hex(`${request.method} ${path} ${canonicalJson(request.body ?? null)}`)
    const existing = await withTenant(db, actor.workspaceId, async (trx) => {
      const inserted = await trx
        .insertInto('idempotency_keys')
        .values({ workspace_id: actor.workspaceId, key, principal, method: request.method, path, request_hash: requestHash })
        .onConflict((oc) => oc.doNothing())
        .returning('key')
        .executeTakeFirst()
      if (inserted) return null
      return trx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('workspace_id', '=', actor.workspaceId)
        .where('principal', '=', principal)
        .where('key', '=', key)
        .executeTakeFirstOrThrow()
    })
    if (!existing) {
      request.idempotencyClaim = { key, principal }
      return
    }
    if (existing.request_hash !== requestHash)
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request')
    if (existing.status_code === null)
      throw new AppError('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed')
    reply.header('idempotent-replayed', 'true')
    return reply.status(existing.status_code).send(existing.response)
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim
    if (!claim) return payload
    const { workspaceId } = request.actor
    await withTenant(db, workspaceId, async (trx) => {
      if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
        await trx
          .updateTable('idempotency_keys')
          .set({ status_code: reply.statusCode, response: payload })
          .where('workspace_id', '=', workspaceId)
          .where('principal', '=', claim.principal)
          .where('key', '=', claim.key)
          .execute()
      } else {
        await trx
          .deleteFrom('idempotency_keys')
          .where('workspace_id', '=', workspaceId)
          .where('principal', '=', claim.principal)
          .where('key', '=', claim.key)
          .execute()
      }
    })
    return payload
  })
}
