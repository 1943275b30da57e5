import { z } from 'zod'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Row } from '../../platform/db/schema.ts'
import { type Tx, withSystem } from '../../platform/db/tenant.ts'
import { AppError, isUniqueViolation, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import { type Channel, type ChannelAdapter, type ChannelContext, type ChannelDefinition, channels, type ReplyRefusal, type ResolvedInbox, type SendResult } from '../../channels/channel.ts'
import { channelDefinition, channelRegistry } from './channel-registry.ts'
import { changedSecrets, mergePatch, openSecrets, parseConfig, secretsSetIn, splitSecrets } from './inboxes.config.ts'
import * as repo from './inboxes.repository.ts'
import { type ChannelInfo, type DeleteResult, type Inbox, toInbox } from './inboxes.types.ts'

export interface NewInbox {
  name: string
  channel: Channel
  /** Public and secret settings together; the channel's schema says which are secret. */
  config: Record<string, unknown>
}

export interface InboxPatch {
  name?: string | undefined
  active?: boolean | undefined
  /** A JSON merge patch of the settings: keys given replace (secrets too), `null` removes. */
  config?: Record<string, unknown> | undefined
}

type Secrets = Record<string, unknown>

const failingAdapter = (channel: string, code: string, message: string): ChannelAdapter =>
  Object.freeze({ channel, send: async (): Promise<SendResult> => ({ ok: false, retryable: false, code, message }) })

export function createInboxesService(p: Platform) {
  // The registry is fixed at start, so its JSON schemas are computed once.
  let channelInfo: ChannelInfo[] | undefined
  const adapterContext: ChannelContext = Object.freeze({ config: p.config, blobs: p.blobs, box: p.box, logger: p.logger.child({ component: 'channel' }), bus: p.bus })
  const seal = (secrets: Secrets): string | null => (Object.keys(secrets).length === 0 ? null : p.box.encrypt(JSON.stringify(secrets)))
  const open = (row: Row<'inboxes'>): Secrets => openSecrets(p.box, row.secrets)
  const defOf = (row: Row<'inboxes'>) => channelDefinition(row.channel as Channel)

  /** The API view of a row: secrets reduced to the names of those set. */
  function view(row: Row<'inboxes'>): Inbox {
    let set: string[]
    try {
      set = secretsSetIn(defOf(row), open(row))
    } catch (err) {
      // A changed instance key makes old secrets unreadable; the inbox stays listable.
      p.logger.error({ inboxId: row.id, err: err instanceof Error ? err.message : String(err) }, 'inbox secrets cannot be decrypted')
      set = []
    }
    return toInbox(row, set)
  }

  /** Turns the address index's violation into a clear 409; rethrows anything else. */
  function translateConflict(err: unknown, channel: string, config: Record<string, unknown>): never {
    if (isUniqueViolation(err) && channel === 'email') {
      const address = String(config.address)
      throw new AppError('CONFLICT', `The address ${address} is already used by another inbox; each address can belong to one inbox only`, [
        { field: 'body.config.address', message: 'is already used by another inbox' },
      ])
    }
    throw err
  }

  async function findOrThrow(trx: Tx, workspaceId: string, id: string, forUpdate = false): Promise<Row<'inboxes'>> {
    const row = await repo.findInbox(trx, workspaceId, id, { forUpdate })
    if (!row) throw notFound('Inbox')
    return row
  }

  return {
    async create(actor: Actor, input: NewInbox): Promise<Inbox> {
      authorize(actor, 'inboxes:write')
      const def = channelDefinition(input.channel)
      const { config, secrets } = splitSecrets(def, parseConfig(def, input.config))
      return p.tx(actor, async (trx) => {
        const row = await repo.insertInbox(trx, actor.workspaceId, { name: input.name, channel: input.channel, config, secrets: seal(secrets) }).catch((err: unknown) =>
          translateConflict(err, input.channel, config),
        )
        const inbox = view(row)
        await recordAudit(trx, actor, {
          action: 'inbox.created',
          entityType: 'inbox',
          entityId: inbox.id,
          changes: { after: { name: inbox.name, channel: inbox.channel, config: inbox.config, active: inbox.active }, secretsSet: inbox.secretsSet },
        })
        await appendEvent(trx, actor, { type: 'inbox.created', payload: { inboxId: inbox.id, channel: inbox.channel } })
        return inbox
      })
    },

    async get(actor: Actor, id: string): Promise<Inbox> {
      authorize(actor, 'inboxes:read')
      return p.tx(actor, async (trx) => view(await findOrThrow(trx, actor.workspaceId, id)))
    },

    async list(actor: Actor, q: { limit: number; cursor?: string | undefined; channel?: Channel | undefined; active?: boolean | undefined }) {
      authorize(actor, 'inboxes:read')
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      const rows = await p.tx(actor, (trx) => repo.listInboxes(trx, actor.workspaceId, { limit: q.limit, after, channel: q.channel, active: q.active }))
      return page(rows.map(view), q.limit, (i) => p.cursors.encode([i.name, i.id]))
    },

    async update(actor: Actor, id: string, patch: InboxPatch): Promise<Inbox> {
      authorize(actor, 'inboxes:write')
      return p.tx(actor, async (trx) => {
        const before = await findOrThrow(trx, actor.workspaceId, id, true)
        const def = defOf(before)
        const oldSecrets = open(before)
        let config = before.config
        let secrets = oldSecrets
        if (patch.config !== undefined) {
          const merged = mergePatch(mergePatch(before.config, oldSecrets), patch.config)
          ;({ config, secrets } = splitSecrets(def, parseConfig(def, merged)))
        }
        const row = await repo
          .updateInbox(trx, actor.workspaceId, id, { name: patch.name ?? before.name, active: patch.active ?? before.active, config, secrets: seal(secrets) })
          .catch((err: unknown) => translateConflict(err, before.channel, config))
        const inbox = view(row)
        const fields = { name: [before.name, row.name], active: [before.active, row.active], config: [before.config, row.config] } as const
        const changed = (Object.keys(fields) as Array<keyof typeof fields>).filter((k) => JSON.stringify(fields[k][0]) !== JSON.stringify(fields[k][1]))
        const secretsChanged = changedSecrets(def, oldSecrets, secrets)
        await recordAudit(trx, actor, {
          action: 'inbox.updated',
          entityType: 'inbox',
          entityId: id,
          changes: {
            before: Object.fromEntries(changed.map((k) => [k, fields[k][0]])),
            after: Object.fromEntries(changed.map((k) => [k, fields[k][1]])),
            // Names only: a secret's value never reaches the audit trail.
            ...(secretsChanged.length > 0 && { secretsChanged }),
          },
        })
        await appendEvent(trx, actor, { type: 'inbox.updated', payload: { inboxId: id, channel: row.channel, changed: [...changed, ...secretsChanged.map((k) => `secret:${k}`)] } })
        return inbox
      })
    },

    /** Deletes an unused inbox; one with conversations or messages is history, so it is deactivated instead. */
    async remove(actor: Actor, id: string): Promise<DeleteResult> {
      authorize(actor, 'inboxes:write')
      return p.tx(actor, async (trx) => {
        // The row lock makes a concurrent conversation insert (its foreign key check) wait for us.
        const row = await findOrThrow(trx, actor.workspaceId, id, true)
        if (await repo.isInboxUsed(trx, actor.workspaceId, id)) {
          const updated = row.active ? await repo.updateInbox(trx, actor.workspaceId, id, { name: row.name, active: false, config: row.config, secrets: row.secrets }) : row
          if (row.active) {
            await recordAudit(trx, actor, { action: 'inbox.deactivated', entityType: 'inbox', entityId: id, changes: { before: { active: true }, after: { active: false }, reason: 'has conversations' } })
            await appendEvent(trx, actor, { type: 'inbox.deactivated', payload: { inboxId: id, channel: row.channel } })
          }
          return {
            outcome: 'deactivated',
            message: 'The inbox has conversations, so it was kept for their history and deactivated instead of deleted',
            inbox: view(updated),
          }
        }
        await repo.deleteInbox(trx, actor.workspaceId, id)
        await recordAudit(trx, actor, {
          action: 'inbox.deleted',
          entityType: 'inbox',
          entityId: id,
          changes: { before: { name: row.name, channel: row.channel, config: row.config, active: row.active } },
        })
        await appendEvent(trx, actor, { type: 'inbox.deleted', payload: { inboxId: id, channel: row.channel } })
        return { outcome: 'deleted', message: 'The inbox was deleted', inbox: null }
      })
    },

    /** The channel registry, for UIs to render settings forms. */
    channels(actor: Actor): ChannelInfo[] {
      authorize(actor, 'inboxes:read')
      channelInfo ??= channels.map((c) => ({
        channel: c,
        secretKeys: [...channelRegistry[c].secretKeys],
        configSchema: z.toJSONSchema(channelRegistry[c].configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
      }))
      return channelInfo
    },

    // For other modules, inside their transaction (the caller has authorised).

    async getInTx(trx: Tx, workspaceId: string, id: string): Promise<Inbox | null> {
      const row = await repo.findInbox(trx, workspaceId, id)
      return row ? view(row) : null
    },

    /**
     * The workspace's default inbox, creating an API inbox named "API" if there
     * is none. Race-safe: the partial unique index inboxes_default_idx lets one
     * concurrent insert win; the others read the winner.
     */
    async ensureDefaultApiInboxInTx(trx: Tx, workspaceId: string): Promise<Inbox> {
      const existing = await repo.findDefaultInbox(trx, workspaceId)
      if (existing) return view(existing)
      const inserted = await repo.insertDefaultInboxIfNone(trx, workspaceId, { name: 'API', channel: 'api', config: {}, secrets: null })
      const row = inserted ?? (await repo.findDefaultInbox(trx, workspaceId))
      if (!row) throw new Error(`default inbox of workspace ${workspaceId} vanished while being created`)
      return view(row)
    },

    /**
     * An active inbox by id alone, with its secrets decrypted, for an inbound
     * webhook (which names no workspace); null when it does not exist or is
     * inactive. A system lookup: the caller proves the request with the
     * inbox's secret before storing anything. Unreadable secrets are a 503, so
     * the provider retries once an operator has entered them again.
     */
    async findForWebhook(inboxId: string): Promise<ResolvedInbox | null> {
      const row = await withSystem(p.db, (trx) => repo.findInboxAnyWorkspace(trx, inboxId))
      if (!row || !row.active) return null
      let secrets: Secrets
      try {
        secrets = open(row)
      } catch (err) {
        p.logger.error({ inboxId: row.id, err: err instanceof Error ? err.message : String(err) }, 'inbox secrets cannot be decrypted')
        throw new AppError('UNAVAILABLE', `The secrets of this inbox cannot be decrypted; an administrator must enter them again`)
      }
      return { ...toInbox(row, secretsSetIn(defOf(row), secrets)), secrets }
    },

    /** The workspace's active inboxes, oldest first, inside the caller's transaction. */
    async listActiveInTx(trx: Tx, workspaceId: string): Promise<Inbox[]> {
      return (await repo.listActiveInboxes(trx, workspaceId)).map(view)
    },

    /** Every channel an inbox can be, in the registry's order. */
    channelNames: channels as readonly string[],

    /** The identity kinds a channel's adapter delivers to (`anyone`: none needed); null when it cannot send yet. */
    reachOf(channel: string): readonly string[] | 'anyone' | null {
      return (channelRegistry as Record<string, { reachableBy?: readonly string[] | 'anyone' }>)[channel]?.reachableBy ?? null
    },

    /**
     * Whether the inbox's channel accepts a free-text reply now (its
     * definition's `replyGate`, e.g. WhatsApp's 24-hour window); null: it does.
     */
    async replyRefusalInTx(trx: Tx, workspaceId: string, inbox: { id: string; channel: string }, facts: { lastInboundAt: Date | null }): Promise<ReplyRefusal | null> {
      const gate = (channelRegistry as Record<string, Pick<ChannelDefinition, 'replyGate'>>)[inbox.channel]?.replyGate
      return gate ? gate(trx, { workspaceId, inboxId: inbox.id, lastInboundAt: facts.lastInboundAt }) : null
    },

    /** The outbound adapter of an inbox, built from its settings and decrypted secrets. */
    async adapterForInTx(trx: Tx, workspaceId: string, inboxId: string): Promise<ChannelAdapter> {
      const row = await findOrThrow(trx, workspaceId, inboxId)
      const def = defOf(row)
      if (!row.active) return failingAdapter(row.channel, 'INBOX_INACTIVE', `Inbox ${row.id} is inactive`)
      let secrets: Secrets
      try {
        secrets = open(row)
      } catch (err) {
        p.logger.error({ inboxId: row.id, err: err instanceof Error ? err.message : String(err) }, 'inbox secrets cannot be decrypted')
        return failingAdapter(row.channel, 'INBOX_SECRETS_UNREADABLE', `The secrets of inbox ${row.id} cannot be decrypted (was the instance secret key changed?); enter them again`)
      }
      return def.createAdapter(toInbox(row, secretsSetIn(def, secrets)), secrets, adapterContext)
    },
  }
}
export type InboxesService = ReturnType<typeof createInboxesService>
