import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import { type Channel, channels } from '../../channels/channel.ts'

/** A workspace's configured channel instance. `config` never holds secret settings. */
export interface Inbox {
  id: string
  workspaceId: string
  name: string
  channel: Channel
  /** The public settings (secrets removed). */
  config: Record<string, unknown>
  /** Which secret settings are set (dotted paths such as `authToken`, `imap.password`), never their values. */
  secretsSet: string[]
  active: boolean
  /** The API inbox conversations go to when created without an inbox. */
  isDefault: boolean
  createdAt: string
  updatedAt: string
}

export const inboxSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    name: z.string(),
    channel: z.enum(channels),
    config: z.record(z.string(), z.unknown()).describe('The public settings; secret settings are never returned'),
    secretsSet: z.array(z.string()).describe('Names of the secret settings that are set'),
    active: z.boolean(),
    isDefault: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Inbox' })

export const channelInfoSchema = z
  .object({
    channel: z.enum(channels),
    secretKeys: z.array(z.string()),
    configSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the config, secret settings included (marked writeOnly)'),
  })
  .meta({ id: 'ChannelInfo' })
export type ChannelInfo = z.infer<typeof channelInfoSchema>

export const deleteResultSchema = z
  .object({
    outcome: z.enum(['deleted', 'deactivated']),
    message: z.string(),
    /** The inbox as it is now, when it was kept (deactivated). */
    inbox: inboxSchema.nullable(),
  })
  .meta({ id: 'InboxDeleteResult' })
export type DeleteResult = z.infer<typeof deleteResultSchema>

export const toInbox = (r: Row<'inboxes'>, secretsSet: string[]): Inbox => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  channel: r.channel as Channel,
  config: r.config,
  secretsSet,
  active: r.active,
  isDefault: r.is_default,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})
