import type { Role } from '../platform/auth/actor.ts'
import type { Random } from './random.ts'

/** The domain of every demo user's email: the loader recognises an earlier run by it. */
export const STAFF_DOMAIN = 'demo.omnidesk.example'

export type TeamName = 'Billing' | 'Technical' | 'VIP'

export interface StaffMember {
  name: string
  email: string
  role: Role
  teams: TeamName[]
}

const staff: Array<[string, Role, TeamName[]]> = [
  ['Maya Okafor', 'admin', []],
  ['Daniel Brooks', 'supervisor', ['Billing', 'VIP']],
  ['Priya Raman', 'supervisor', ['Technical']],
  ['Lucas Moreau', 'agent', ['Billing']],
  ['Hannah Schmidt', 'agent', ['Billing']],
  ['Tomás Herrera', 'agent', ['Billing', 'VIP']],
  ['Aisha Bello', 'agent', ['Technical']],
  ['Kenji Watanabe', 'agent', ['Technical']],
  ['Sofia Rossi', 'agent', ['Technical', 'VIP']],
  ['Ethan Clarke', 'agent', ['VIP']],
  ['Grace Lindqvist', 'agent', ['Technical', 'Billing']],
]

const ascii = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()

export const demoStaff: StaffMember[] = staff.map(([name, role, teams]) => ({
  name,
  role,
  teams,
  email: `${ascii(name).replace(/ /g, '.')}@${STAFF_DOMAIN}`,
}))

export const teamDescriptions: Record<TeamName, string> = {
  Billing: 'Payments, refunds, invoices and subscriptions',
  Technical: 'Sign-in trouble, bugs, integrations and the app',
  VIP: 'Enterprise and premium customers',
}

const firstNames = [
  'Ada', 'Ben', 'Chloe', 'David', 'Elena', 'Felix', 'Gina', 'Hugo', 'Isla', 'Jonas', 'Kira', 'Liam', 'Mila', 'Noah',
  'Olivia', 'Pablo', 'Quinn', 'Rosa', 'Sam', 'Tara', 'Umar', 'Vera', 'Wes', 'Ximena', 'Yusuf', 'Zoe', 'Amir', 'Bianca',
  'Carlos', 'Dina', 'Emil', 'Fatima', 'Gabriel', 'Helena', 'Ivan', 'Julia', 'Kofi', 'Lena', 'Marco', 'Nadia',
]
const lastNames = [
  'Anderson', 'Baptiste', 'Chen', 'Dubois', 'Evans', 'Fischer', 'García', 'Hughes', 'Ivanova', 'Jensen', 'Kowalski',
  'Larsen', 'Mensah', 'Nakamura', 'O’Brien', 'Petrov', 'Quintero', 'Rahman', 'Silva', 'Thompson', 'Ueda', 'Varga',
  'Walsh', 'Xu', 'Yilmaz', 'Zimmermann', 'Novak', 'Costa', 'Haddad', 'Murphy',
]
const companies = ['northwind', 'bluefin', 'acorn-labs', 'harbourline', 'kestrel', 'meridian', 'pinecrest', 'tidewater']
const freeMail = ['mail.example', 'inbox.example', 'post.example']
const cities = ['London', 'Lisbon', 'Berlin', 'Toronto', 'Austin', 'Melbourne', 'Dublin', 'Lyon', 'Oslo', 'Nairobi']
/** US numbers in the 555-01xx range are reserved for fiction; several area codes give enough of them. */
const areaCodes = ['202', '312', '415', '617', '206']

export type Tier = 'standard' | 'premium' | 'enterprise'

export interface DemoContact {
  name: string
  firstName: string
  emails: string[]
  phone: string
  attributes: { tier: Tier; city: string; company?: string; customerSince: string }
}

/** `count` customers with distinct emails and phones; about a fifth have a second (work) email. */
export function makeContacts(rnd: Random, count: number): DemoContact[] {
  const out: DemoContact[] = []
  const used = new Set<string>()
  for (let i = 0; out.length < count; i++) {
    const first = rnd.pick(firstNames)
    const last = rnd.pick(lastNames)
    const local = `${ascii(first)}.${ascii(last).replace(/[^a-z]/g, '')}`
    const personal = `${local}${used.has(local) ? i : ''}@${rnd.pick(freeMail)}`
    used.add(local)
    const company = rnd.chance(0.35) ? rnd.pick(companies) : undefined
    const emails = [personal]
    if (company && rnd.chance(0.6)) emails.push(`${ascii(first)}.${ascii(last).replace(/[^a-z]/g, '')}${i}@${company}.example`)
    const n = out.length
    const phone = `+1${areaCodes[Math.floor(n / 100) % areaCodes.length]}5550${100 + (n % 100)}`
    const tier: Tier = company ? rnd.weighted({ standard: 2, premium: 2, enterprise: 3 }) : rnd.weighted({ standard: 8, premium: 2, enterprise: 0 })
    const year = rnd.int(2019, 2026)
    out.push({
      name: `${first} ${last}`,
      firstName: first,
      emails,
      phone,
      attributes: { tier, city: rnd.pick(cities), ...(company && { company }), customerSince: `${year}-${String(rnd.int(1, 12)).padStart(2, '0')}` },
    })
  }
  return out
}
