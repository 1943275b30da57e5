import { z } from 'zod'
import { roles } from '../../platform/auth/actor.ts'
import type { Row } from '../../platform/db/schema.ts'

export const userSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(roles),
    active: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' })
export type User = z.infer<typeof userSchema>

export const teamSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    memberIds: z.array(z.uuid()),
    createdAt: z.string(),
  })
  .meta({ id: 'Team' })
export type Team = z.infer<typeof teamSchema>

export const toUser = (r: Row<'users'>): User => ({
  id: r.id,
  workspaceId: r.workspace_id,
  email: r.email,
  name: r.name,
  role: r.role as User['role'],
  active: r.active,
  createdAt: r.created_at.toISOString(),
})

export const normaliseEmail = (email: string) => email.trim().toLowerCase()
