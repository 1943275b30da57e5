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

export const workspaceSettingsInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').default('UTC'),
  defaultLocale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as en or pt-BR').default('en'),
  dataRegion: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be a short tag such as eu or us-east').default('default'),
})

export const toWorkspace = (r: Row<'workspaces'>): Workspace => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  defaultLocale: r.default_locale,
  dataRegion: r.data_region,
  createdAt: r.created_at.toISOString(),
})
