import { randomBytes } from 'node:crypto'
import { type Actor, authorize, systemActor } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { enterTenant, withSystem } from '../../platform/db/tenant.ts'
import { notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import type { AuthService } from '../auth/index.ts'
import { type UsersService } from '../users/index.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { type ContinuityRule, continuityOf, fallbackOrderOf, toWorkspace, type Workspace, type WorkspaceSettingsPatch } from './workspaces.types.ts'

export interface NewWorkspace {
  name: string
  timeZone?: string | undefined
  defaultLocale?: string | undefined
  dataRegion?: string | undefined
  admin?: { email: string; name: string; password?: string | undefined } | undefined
}

export interface Bootstrap {
  /** True when this start created the first workspace and its owner. */
  created: boolean
  workspaceId: string
  ownerEmail: string
  /** The generated password, only when created and no OMNIDESK_ADMIN_TOKEN is set. */
  ownerPassword: string | null
}

const withoutUndefined = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>

export function createWorkspacesService(p: Platform, deps: { users: UsersService; auth: AuthService }) {
  /** Creates a workspace with its first admin and an admin API token, in one transaction. */
  async function createWithAdmin(actor: Actor | null, input: NewWorkspace, ownerOptions: { instanceOwner?: boolean; role?: 'owner' | 'admin' } = {}) {
    // One transaction: the workspace row is inserted with owner rights, then the
    // transaction drops to the new workspace's tenant role for everything else.
    const result = await withSystem(p.db, async (trx) => {
      const ws = await trx
        .insertInto('workspaces')
        .values({
          name: input.name,
          time_zone: input.timeZone ?? 'UTC',
          default_locale: input.defaultLocale ?? 'en',
          data_region: input.dataRegion ?? 'default',
          settings: JSON.stringify({}),
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      await enterTenant(trx, ws.id)
      const system = systemActor(ws.id, actor ? `${actor.label} (creating workspace)` : 'system')
      const admin = await deps.users.insertUserInTx(trx, system, {
        email: input.admin?.email ?? `admin@${ws.id}.workspace.invalid`,
        name: input.admin?.name ?? 'Workspace admin',
        role: ownerOptions.role ?? 'admin',
        password: input.admin?.password,
        instanceOwner: ownerOptions.instanceOwner ?? false,
      })
      await recordAudit(trx, system, { action: 'workspace.created', entityType: 'workspace', entityId: ws.id, changes: { after: toWorkspace(ws), createdBy: actor?.label ?? 'system' } })
      await appendEvent(trx, system, { type: 'workspace.created', payload: { workspaceId: ws.id } })
      const { secret } = await deps.auth.issueTokenInTx(trx, system, { userId: admin.id, name: 'Initial admin token', expiresAt: null })
      return { workspace: toWorkspace(ws), admin, token: secret }
    })
    p.dispatcher.kick()
    return result
  }

  return {
    createWithAdmin,

    async create(actor: Actor, input: NewWorkspace) {
      authorize(actor, 'workspaces:create')
      return createWithAdmin(actor, input)
    },

    async getCurrent(actor: Actor): Promise<Workspace> {
      authorize(actor, 'workspace:read')
      const row = await p.tx(actor, (trx) => trx.selectFrom('workspaces').selectAll().where('id', '=', actor.workspaceId).executeTakeFirst())
      if (!row) throw notFound('Workspace')
      return toWorkspace(row)
    },

    async update(actor: Actor, patch: WorkspaceSettingsPatch): Promise<Workspace> {
      authorize(actor, 'workspace:write')
      return p.tx(actor, async (trx) => {
        const before = await trx.selectFrom('workspaces').selectAll().where('id', '=', actor.workspaceId).executeTakeFirst()
        if (!before) throw notFound('Workspace')
        const row = await trx
          .updateTable('workspaces')
          .set({
            ...(patch.name !== undefined && { name: patch.name }),
            ...(patch.timeZone !== undefined && { time_zone: patch.timeZone }),
            ...(patch.defaultLocale !== undefined && { default_locale: patch.defaultLocale }),
            ...(patch.dataRegion !== undefined && { data_region: patch.dataRegion }),
            ...((patch.continuity !== undefined || patch.fallbackOrder !== undefined) && {
              settings: JSON.stringify({
                ...before.settings,
                ...(patch.continuity !== undefined && { continuity: { ...continuityOf(before.settings), ...withoutUndefined(patch.continuity) } }),
                ...(patch.fallbackOrder !== undefined && { fallbackOrder: patch.fallbackOrder }),
              }),
            }),
            updated_at: new Date(),
          })
          .where('id', '=', actor.workspaceId)
          .returningAll()
          .executeTakeFirstOrThrow()
        await recordAudit(trx, actor, { action: 'workspace.updated', entityType: 'workspace', entityId: row.id, changes: { before: toWorkspace(before), after: toWorkspace(row) } })
        return toWorkspace(row)
      })
    },

    /** The workspace's continuity rule, inside the caller's transaction (conversations' intake). */
    async continuityInTx(trx: Tx, workspaceId: string): Promise<ContinuityRule> {
      const row = await trx.selectFrom('workspaces').select('settings').where('id', '=', workspaceId).executeTakeFirst()
      return continuityOf(row?.settings ?? {})
    },

    /** The workspace's reply fallback order, inside the caller's transaction (conversations' replies). */
    async fallbackOrderInTx(trx: Tx, workspaceId: string): Promise<readonly string[]> {
      const row = await trx.selectFrom('workspaces').select('settings').where('id', '=', workspaceId).executeTakeFirst()
      return fallbackOrderOf(row?.settings ?? {})
    },

    /**
     * At start: make sure an instance owner exists. The first start creates the
     * default workspace and its owner (with a generated password, printed once).
     */
    async ensureInstanceOwner(): Promise<Bootstrap> {
      const owner = await withSystem(p.db, (trx) =>
        trx.selectFrom('users').select(['workspace_id', 'email']).where('instance_owner', '=', true).orderBy('created_at').limit(1).executeTakeFirst(),
      )
      if (owner) return { created: false, workspaceId: owner.workspace_id, ownerEmail: owner.email, ownerPassword: null }
      const password = randomBytes(12).toString('base64url')
      const email = 'owner@omnidesk.local'
      const { workspace } = await createWithAdmin(null, { name: 'My workspace', admin: { email, name: 'Owner', password } }, { instanceOwner: true, role: 'owner' })
      return { created: true, workspaceId: workspace.id, ownerEmail: email, ownerPassword: password }
    },
  }
}
export type WorkspacesService = ReturnType<typeof createWorkspacesService>
