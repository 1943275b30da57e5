import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

export const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export const workspaceSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    timeZone: z.string(),
    defaultLocale: z.string(),
    dataRegion: z.string(),
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
})

export const toWorkspace = (r: Row<'workspaces'>): Workspace => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  defaultLocale: r.default_locale,
  dataRegion: r.data_region,
  createdAt: r.created_at.toISOString(),
})
