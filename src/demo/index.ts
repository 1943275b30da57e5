import type { Omnidesk } from '../app.ts'
import { systemActor } from '../platform/auth/actor.ts'
import { playConversations, type ConversationCounts } from './conversations.ts'
import { demoStaff, makeContacts, type StaffMember } from './people.ts'
import { HISTORY_DAYS, planConversations } from './plan.ts'
import { type Progress, silentProgress } from './progress.ts'
import { createRandom } from './random.ts'
import { createContacts, createStaff, type DemoSetup, ensureInboxes, ensureTaxonomy, existingDemoStaff } from './setup.ts'

export { streamProgress, silentProgress, type Progress } from './progress.ts'
export { STAFF_DOMAIN } from './people.ts'

export interface DemoOptions {
  /** How many conversations (default 300). */
  conversations?: number | undefined
  /** How many contacts (default 120). */
  contacts?: number | undefined
  /** Seeds the generator: the same seed gives the same people, texts and history (default 2026). */
  seed?: number | undefined
  /** The end of the generated history (default: now). */
  now?: Date | undefined
  progress?: Progress | undefined
}

export type DemoResult =
  | { loaded: false; workspaceId: string; existingStaff: number }
  | {
      loaded: true
      workspaceId: string
      workspaceName: string
      /** The one password every demo user signs in with (generated, shown once). */
      password: string
      staff: StaffMember[]
      teams: string[]
      inboxes: DemoSetup['inboxes']
      categories: number
      tagsCreated: number
      contacts: { created: number; identities: number }
      conversations: ConversationCounts
      elapsedMs: number
    }

/**
 * Fills a workspace with a realistic support history through the services the
 * API uses: demo staff in three teams, inboxes on the channels that need no
 * provider credentials, a category tree and tags, customers with several
 * identities, and conversations over the last six weeks. Deterministic for a
 * seed. A workspace that already has the demo staff is left unchanged.
 */
export async function loadDemoData(o: Omnidesk, workspaceId: string, opts: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now()
  const s = o.services
  const system = systemActor(workspaceId, 'demo loader')
  const workspace = await s.workspaces.getCurrent(system)
  const existingStaff = await existingDemoStaff(s, system)
  if (existingStaff > 0) return { loaded: false, workspaceId, existingStaff }

  const progress = opts.progress ?? silentProgress
  const rnd = createRandom(opts.seed ?? 2026)
  const people = makeContacts(rnd, opts.contacts ?? 120)
  const plans = planConversations(rnd, people, opts.conversations ?? 300, opts.now ?? new Date())

  const { staff, teams, password } = await createStaff(s, system)
  const inboxes = await ensureInboxes(s, system)
  const { categories, tagsCreated } = await ensureTaxonomy(s, system)
  const contacts = await createContacts(s, system, people, progress)
  const setup: DemoSetup = { staff, teams, inboxes, categories, tagsCreated, contactsCreated: contacts.created, identitiesCreated: contacts.identities }
  const conversations = await playConversations(o, workspaceId, setup, people, plans, progress)
  return {
    loaded: true,
    workspaceId,
    workspaceName: workspace.name,
    password,
    staff: demoStaff,
    teams: [...teams.keys()],
    inboxes,
    categories: categories.size,
    tagsCreated,
    contacts,
    conversations,
    elapsedMs: Date.now() - started,
  }
}

/** What the CLI prints after a run. */
export function describeDemo(r: DemoResult, publicUrl: string): string {
  if (!r.loaded)
    return `The demo is already loaded in workspace ${r.workspaceId} (${r.existingStaff} demo users found); nothing was added.`
  const c = r.conversations
  const roles = (role: string) => r.staff.filter((m) => m.role === role).length
  const list = (o: Record<string, number | undefined>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ')
  const lines = [
    `Demo data loaded into "${r.workspaceName}" (${r.workspaceId}) in ${(r.elapsedMs / 1000).toFixed(1)} s:`,
    `  ${r.staff.length} users (${roles('agent')} agents, ${roles('supervisor')} supervisors, ${roles('admin')} admin) in teams ${r.teams.join(', ')}`,
    `  ${r.contacts.created} contacts with ${r.contacts.identities} identities (email, phone)`,
    `  inboxes: ${Object.entries(r.inboxes).map(([ch, i]) => `${i.name} (${ch})`).join(', ')}`,
    `  ${r.categories} categories, ${r.tagsCreated} new tags`,
    `  ${c.conversations} conversations over the last ${HISTORY_DAYS} days (${list(c.byChannel)}; ${list(c.byStatus)}), ${c.assigned} assigned to agents, ${c.transferred} transferred`,
    `  ${c.messages.inbound + c.messages.outbound + c.messages.note} messages: ${c.messages.inbound} inbound, ${c.messages.outbound} replies, ${c.messages.note} internal notes`,
    ...(c.stoppedByRequirements ? [`  ${c.stoppedByRequirements} conversations were left unsolved: this workspace requires fields before solving`] : []),
    '',
    `Sign in at ${publicUrl} as any demo user with the password ${r.password}`,
    '(the same for all of them, shown only now; change it with PATCH /api/v1/users/{id} and currentPassword, or npm run omnidesk -- user:password):',
    ...r.staff.map((m) => `  ${m.email.padEnd(42)} ${m.role}${m.teams.length ? ` (${m.teams.join(', ')})` : ''}`),
  ]
  return lines.join('\n')
}
