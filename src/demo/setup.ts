import { randomBytes } from 'node:crypto'
import type { Omnidesk } from '../app.ts'
import type { Actor } from '../platform/auth/actor.ts'
import { AppError } from '../platform/errors.ts'
import { type DemoContact, demoStaff, STAFF_DOMAIN, type TeamName, teamDescriptions } from './people.ts'
import type { DemoChannel } from './plan.ts'
import type { Progress } from './progress.ts'
import { categoryTree, tagColours } from './templates.ts'

type Services = Omnidesk['services']

/** What the conversations need from the set-up: ids by name. */
export interface DemoSetup {
  /** Staff email → user id and role. */
  staff: Map<string, { id: string; role: Actor['role']; name: string }>
  teams: Map<TeamName, string>
  inboxes: Record<DemoChannel, { id: string; name: string }>
  /** Category name (the tree's children are unique) → id. */
  categories: Map<string, string>
  tagsCreated: number
  contactsCreated: number
  identitiesCreated: number
}

const conflict = (err: unknown) => err instanceof AppError && (err.code === 'CONFLICT' || err.code === 'IDENTITY_TAKEN')

/** Demo users already in the workspace: a second run recognises the demo by them. */
export async function existingDemoStaff(s: Services, system: Actor): Promise<number> {
  let cursor: string | undefined
  let found = 0
  do {
    const page = await s.users.list(system, { limit: 200, cursor })
    found += page.items.filter((u) => u.email.endsWith(`@${STAFF_DOMAIN}`)).length
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return found
}

/** The staff (one shared generated password), and the three teams. */
export async function createStaff(s: Services, system: Actor): Promise<{ staff: DemoSetup['staff']; teams: DemoSetup['teams']; password: string }> {
  const password = `demo-${randomBytes(9).toString('base64url')}`
  const staff: DemoSetup['staff'] = new Map()
  for (const m of demoStaff) {
    const user = await s.users.create(system, { email: m.email, name: m.name, role: m.role, password })
    staff.set(m.email, { id: user.id, role: user.role, name: user.name })
  }
  const existing = await s.users.listTeams(system)
  const teams: DemoSetup['teams'] = new Map()
  for (const name of Object.keys(teamDescriptions) as TeamName[]) {
    const memberIds = demoStaff.filter((m) => m.teams.includes(name)).map((m) => staff.get(m.email)!.id)
    const found = existing.find((t) => t.name === name)
    const team = found
      ? await s.users.saveTeam(system, found.id, { memberIds: [...found.memberIds, ...memberIds] })
      : await s.users.saveTeam(system, null, { name, description: teamDescriptions[name], memberIds })
    teams.set(name, team.id)
  }
  return { staff, teams, password }
}

/** One inbox per demo channel: existing ones of the same name and channel are reused. */
export async function ensureInboxes(s: Services, system: Actor): Promise<DemoSetup['inboxes']> {
  const { items } = await s.inboxes.list(system, { limit: 100 })
  const wanted: Record<DemoChannel, { name: string; config: Record<string, unknown> }> = {
    email: { name: 'Support email', config: { address: `support-${system.workspaceId.slice(0, 8)}@${STAFF_DOMAIN}` } },
    api: { name: 'API', config: {} },
    chat: { name: 'Website chat', config: { websiteUrl: 'https://shop.example', welcomeMessage: 'Hi! How can we help you today?', preChatForm: true } },
    // The sandbox provider needs no credentials; 555-01xx numbers are reserved for fiction.
    sms: { name: 'SMS line', config: { provider: 'sandbox', phoneNumber: '+12065550150' } },
  }
  const out = {} as DemoSetup['inboxes']
  for (const channel of Object.keys(wanted) as DemoChannel[]) {
    const w = wanted[channel]
    const found = items.find((i) => i.channel === channel && i.active && (i.name === w.name || (channel === 'api' && i.isDefault)))
    const inbox = found ?? (await s.inboxes.create(system, { name: w.name, channel, config: w.config }))
    out[channel] = { id: inbox.id, name: inbox.name }
  }
  return out
}

/** The category tree and coloured tags; existing ones are kept. */
export async function ensureTaxonomy(s: Services, system: Actor): Promise<{ categories: DemoSetup['categories']; tagsCreated: number }> {
  const { items } = await s.taxonomy.listCategories(system)
  const categories: DemoSetup['categories'] = new Map()
  const ensure = async (name: string, parentId: string | null) =>
    items.find((c) => c.name === name && c.parentId === parentId)?.id ?? (await s.taxonomy.createCategory(system, { name, parentId })).id
  for (const [parent, children] of Object.entries(categoryTree)) {
    const parentId = await ensure(parent, null)
    for (const child of children) categories.set(child, await ensure(child, parentId))
  }
  let tagsCreated = 0
  for (const [name, color] of Object.entries(tagColours)) {
    try {
      await s.taxonomy.createTag(system, { name, color })
      tagsCreated++
    } catch (err) {
      if (!conflict(err)) throw err
    }
  }
  return { categories, tagsCreated }
}

/** The customers; one whose email or phone another contact already has is skipped (its conversations go to that contact). */
export async function createContacts(s: Services, system: Actor, contacts: DemoContact[], progress: Progress): Promise<{ created: number; identities: number }> {
  progress.start('contacts', contacts.length)
  let created = 0
  let identities = 0
  for (const c of contacts) {
    try {
      const contact = await s.contacts.create(system, {
        name: c.name,
        attributes: c.attributes,
        identities: [...c.emails.map((value) => ({ kind: 'email' as const, value })), { kind: 'phone' as const, value: c.phone }],
      })
      created++
      identities += contact.identities.length
    } catch (err) {
      if (!conflict(err)) throw err
    }
    progress.tick()
  }
  progress.done()
  return { created, identities }
}
