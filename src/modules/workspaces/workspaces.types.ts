import { z } from 'zod'
import { channels } from '../../channels/channel.ts'
import type { Row } from '../../platform/db/schema.ts'

export const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/**
 * The continuity rule (docs/channels/README.md, "Continuity"): whether a new
 * inbound message without a thread continues the contact's open case.
 * `any_channel`: an open case updated within `windowDays`, whatever its
 * channel; `same_channel`: only one whose current channel is the message's;
 * `off`: every such message opens a new case.
 */
export const continuityModes = ['any_channel', 'same_channel', 'off'] as const
export const continuitySchema = z
  .object({
    mode: z.enum(continuityModes),
    windowDays: z.number().int().min(1).max(365),
  })
  .meta({ id: 'ContinuityRule' })
export type ContinuityRule = z.infer<typeof continuitySchema>
export const defaultContinuity: ContinuityRule = Object.freeze({ mode: 'any_channel', windowDays: 7 })

/** The rule stored in `workspaces.settings.continuity`, defaults filling what is missing or unreadable. */
export function continuityOf(settings: Record<string, unknown>): ContinuityRule {
  const stored = (settings.continuity ?? {}) as Record<string, unknown>
  const parsed = continuitySchema.safeParse({ ...defaultContinuity, ...stored })
  return parsed.success ? parsed.data : { ...defaultContinuity }
}

/**
 * The fallback order (docs/channels/README.md, "Fallback"): when a reply on
 * the conversation's channel cannot go (its inbox is down, or the channel
 * refuses it: WhatsApp's closed window), it leaves on the next channel of this
 * list that the contact has consented to. Empty (the default): no fallback.
 */
export const fallbackOrderSchema = z
  .array(z.enum(channels))
  .max(channels.length)
  .refine((list) => new Set(list).size === list.length, 'must not name a channel twice')
  .describe('Channels a reply falls back to, in order, e.g. ["whatsapp", "sms", "email"]; empty: no fallback')

/** The order stored in `workspaces.settings.fallbackOrder`; unreadable: none. */
export function fallbackOrderOf(settings: Record<string, unknown>): Array<(typeof channels)[number]> {
  const parsed = fallbackOrderSchema.safeParse(settings.fallbackOrder ?? [])
  return parsed.success ? parsed.data : []
}

export const workspaceSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    timeZone: z.string(),
    defaultLocale: z.string(),
    dataRegion: z.string(),
    continuity: continuitySchema,
    fallbackOrder: fallbackOrderSchema,
    createdAt: z.string(),
  })
  .meta({ id: 'Workspace' })
export type Workspace = z.infer<typeof workspaceSchema>

const settingFields = {
  name: z.string().trim().min(1).max(200),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'),
  defaultLocale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as en or pt-BR'),
  dataRegion: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be a short tag such as eu or us-east'),
}

/** A new workspace's settings: what is not given takes its default. */
export const workspaceSettingsInput = z.strictObject({
  ...settingFields,
  timeZone: settingFields.timeZone.default('UTC'),
  defaultLocale: settingFields.defaultLocale.default('en'),
  dataRegion: settingFields.dataRegion.default('default'),
})

/**
 * A change to the settings: only the fields given change. Not
 * `workspaceSettingsInput.partial()`: in zod 4 a partial of a field with a
 * default still fills in the default, which reset unmentioned settings.
 */
export const workspaceSettingsPatch = z.strictObject({
  name: settingFields.name.optional(),
  timeZone: settingFields.timeZone.optional(),
  defaultLocale: settingFields.defaultLocale.optional(),
  dataRegion: settingFields.dataRegion.optional(),
  /** Only the keys given change. */
  continuity: z.strictObject({ mode: z.enum(continuityModes).optional(), windowDays: z.number().int().min(1).max(365).optional() }).optional(),
  /** Replaces the whole list. */
  fallbackOrder: fallbackOrderSchema.optional(),
})
export type WorkspaceSettingsPatch = z.infer<typeof workspaceSettingsPatch>

export const toWorkspace = (r: Row<'workspaces'>): Workspace => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  defaultLocale: r.default_locale,
  dataRegion: r.data_region,
  continuity: continuityOf(r.settings),
  fallbackOrder: fallbackOrderOf(r.settings),
  createdAt: r.created_at.toISOString(),
})
