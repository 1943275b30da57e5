import type { TokenRecheck } from '../db/tenant.ts'
import { AppError, forbidden } from '../errors.ts'

export const roles = ['owner', 'admin', 'supervisor', 'agent', 'auditor'] as const
export type Role = (typeof roles)[number]

/** Who is doing something. Every service use case receives one. */
export interface Actor {
  kind: 'user' | 'token' | 'system'
  workspaceId: string
  /** The user acting (for tokens, the user the token belongs to). */
  userId: string | null
  role: Role
  tokenId?: string | undefined
  /** True for the OMNIDESK_ADMIN_TOKEN principal, who may create workspaces. */
  instanceOwner?: boolean
  label: string
  ip?: string | undefined
  requestId?: string | undefined
  /**
   * When the action happened, for in-process callers that record history (the
   * demo loader, imports): conversations, messages and events it writes take
   * this time instead of now(), and an outbound message counts as already sent
   * (it is not delivered again). The audit entry keeps the real time. HTTP
   * authentication never sets it, so API callers cannot backdate anything.
   */
  occurredAt?: Date | undefined
  /** Set when the API token came from the in-process cache: `p.tx` re-checks it in its first statement (db/tenant.ts). */
  recheck?: TokenRecheck | undefined
}

export function systemActor(workspaceId: string, label = 'system'): Actor {
  return { kind: 'system', workspaceId, userId: null, role: 'owner', label }
}

/**
 * The role matrix (docs/roles.md shows it as a table). A permission is
 * `<resource>:<verb>`; a role has it when listed here.
 */
const read = [
  'conversations:read',
  'contacts:read',
  'inboxes:read',
  'users:read',
  'teams:read',
  'taxonomy:read',
  'workspace:read',
] as const
const agentWrite = ['conversations:write', 'contacts:write', 'messages:write', 'tags:write'] as const
const supervise = ['conversations:assign-any', 'contacts:merge', 'teams:write', 'desk:share', 'board:read'] as const
const administer = [
  'users:write',
  'inboxes:write',
  'taxonomy:write',
  'workspace:write',
  'tokens:write-any',
  'audit:read',
] as const

export type Permission =
  | (typeof read)[number]
  | (typeof agentWrite)[number]
  | (typeof supervise)[number]
  | (typeof administer)[number]
  | 'workspaces:create'
  | 'tokens:write-own'

export const roleMatrix: Record<Role, readonly Permission[]> = {
  owner: [...read, ...agentWrite, ...supervise, ...administer, 'tokens:write-own'],
  admin: [...read, ...agentWrite, ...supervise, ...administer, 'tokens:write-own'],
  supervisor: [...read, ...agentWrite, ...supervise, 'tokens:write-own'],
  agent: [...read, ...agentWrite, 'tokens:write-own'],
  auditor: [...read, 'audit:read', 'tokens:write-own'],
}

export function can(actor: Actor, permission: Permission): boolean {
  if (permission === 'workspaces:create') return actor.instanceOwner === true
  if (actor.kind === 'system') return true
  return roleMatrix[actor.role].includes(permission)
}

/** First line of every service use case. */
export function authorize(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw forbidden(`Your role (${actor.role}) may not ${permission.replace(':', ' ')}`)
}

export function requireUser(actor: Actor): string {
  if (!actor.userId) throw new AppError('FORBIDDEN', 'This action needs a user, not a system actor')
  return actor.userId
}
