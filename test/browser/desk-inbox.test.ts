import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import type { Page } from 'playwright-core'
import { axeViolations, type Desk, deskForFile, screenshot, scrollInboxToEnd, textsOnceEqual } from './desk-harness.ts'

/**
 * The inbox and the search box in a real browser against the real server:
 * one search box across cases, messages and contacts; saved views made from
 * the filters and sort; rows that carry contact, last message and SLA without
 * a request per row; 10,000 cases scrolled to the end with few rows in the DOM.
 */
let desk: Desk
let page: Page
const { opts } = deskForFile(async (d) => {
  desk = d
  page = await d.newPage()
  await d.signIn(page, d.admin)
})

async function openCase(body: Record<string, unknown>): Promise<{ id: string; number: number; contactId: string; inboxId: string }> {
  const res = await desk.api('POST', '/api/v1/conversations', { message: { text: 'Hello.' }, ...body })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

async function search(q: string) {
  // The box is reached from anywhere with "/".
  await page.locator('body').click({ position: { x: 5, y: 300 } })
  await page.keyboard.press('/')
  const box = page.getByRole('searchbox', { name: 'Search' })
  assert.equal(await box.evaluate((el) => el === el.ownerDocument.activeElement), true, '/ focuses the search box')
  await box.fill(q)
  await box.press('Enter')
  await page.getByRole('heading', { name: `Search: ${q}` }).waitFor()
}

test('one search box finds a case by subject, a case by a word of a message, and a contact by name, and opens each', opts, async () => {
  const bySubject = await openCase({ contact: { name: 'Ursula Franklin', email: 'ursula@example.test' }, subject: 'Quokkas in the server room' })
  const byBody = await openCase({ contact: { email: 'someone@example.test' }, subject: 'Billing', message: { text: 'The invoice mentions a zanzibarite surcharge.' } })
  const contact = await openCase({ contact: { name: 'Philomena Cunk', email: 'cunk@example.test' }, subject: 'Moments of wonder' })

  await page.goto('/inbox/all')
  await search('quokkas')
  const cases = page.getByRole('region', { name: /Cases/ })
  await cases.getByRole('link', { name: `#${bySubject.number} Quokkas in the server room` }).click()
  await page.getByRole('heading', { name: 'Quokkas in the server room', level: 1 }).waitFor()
  assert.match(page.url(), new RegExp(`/cases/${bySubject.id}$`))

  await search('zanzibarite')
  const messages = page.getByRole('region', { name: /Messages and notes/ })
  await messages.getByText('zanzibarite surcharge').waitFor()
  assert.deepEqual(await axeViolations(page), [])
  await screenshot(page, 'search')
  await messages.getByRole('link', { name: `#${byBody.number} Billing` }).click()
  await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor()
  assert.match(page.url(), new RegExp(`/cases/${byBody.id}$`))

  await search('Philomena')
  const contacts = page.getByRole('region', { name: /Contacts/ })
  await contacts.getByRole('link', { name: 'Philomena Cunk' }).click()
  await page.getByRole('heading', { name: 'Philomena Cunk' }).waitFor()
  assert.match(page.url(), new RegExp(`/contacts/${contact.contactId}$`))

  await search('nothingmatchesthis')
  await page.getByText('Nothing found.').waitFor()
})

test('a saved view is made from the filters and sort, listed in the navigation, opened, renamed and deleted', opts, async () => {
  const tag = `vip${Date.now()}`
  const first = await openCase({ contact: { name: 'Old Urgent' }, subject: 'Urgent and old', priority: 'urgent', tags: [tag] })
  const second = await openCase({ contact: { name: 'New Urgent' }, subject: 'Urgent and new', priority: 'urgent', tags: [tag] })
  await openCase({ contact: { name: 'Low One' }, subject: 'Low and tagged', priority: 'low', tags: [tag] })
  await openCase({ contact: { name: 'Urgent Untagged' }, subject: 'Urgent, other tag', priority: 'urgent' })

  await page.goto('/inbox/all')
  const filters = page.getByRole('form', { name: 'Filters' })
  await filters.getByLabel('Priority').selectOption('urgent')
  await filters.getByLabel('Tag').fill(tag)
  await filters.getByLabel('Tag').press('Enter')
  await filters.getByLabel('Sort').selectOption('oldest')
  const list = page.getByRole('list', { name: /Cases:/ })
  await list.getByRole('link', { name: 'Urgent and new' }).waitFor()
  assert.deepEqual(await textsOnceEqual(list.locator('.subject'), ['Urgent and old', 'Urgent and new']), ['Urgent and old', 'Urgent and new'])

  await page.getByRole('button', { name: 'Save as view' }).click()
  await page.getByLabel('View name').fill('Urgent VIP, oldest first')
  await page.getByRole('button', { name: 'Save view' }).click()
  const nav = page.getByRole('navigation', { name: 'Main' })
  await nav.getByRole('link', { name: 'Urgent VIP, oldest first' }).waitFor()
  await page.getByRole('heading', { name: 'Urgent VIP, oldest first', level: 1 }).waitFor()
  const stored = (await desk.api('GET', '/api/v1/views')).body.items.find((v: { name: string }) => v.name === 'Urgent VIP, oldest first')
  assert.deepEqual(stored.filters, { priority: 'urgent', tag })
  assert.equal(stored.sort, 'oldest')

  // Opening it from the navigation, elsewhere, applies its filters and sort.
  await nav.getByRole('link', { name: 'All cases' }).click()
  await page.getByRole('heading', { name: 'All cases', level: 1 }).waitFor()
  assert.equal(await filters.getByLabel('Priority').inputValue(), '')
  await nav.getByRole('link', { name: 'Urgent VIP, oldest first' }).click()
  await page.getByRole('heading', { name: 'Urgent VIP, oldest first', level: 1 }).waitFor()
  assert.equal(await filters.getByLabel('Priority').inputValue(), 'urgent')
  assert.equal(await filters.getByLabel('Tag').inputValue(), tag)
  assert.equal(await filters.getByLabel('Sort').inputValue(), 'oldest')
  await list.getByRole('link', { name: 'Urgent and new' }).waitFor()
  assert.deepEqual(await textsOnceEqual(list.locator('.subject'), ['Urgent and old', 'Urgent and new']), ['Urgent and old', 'Urgent and new'])
  assert.deepEqual(await axeViolations(page), [])
  await screenshot(page, 'saved-view')

  // A changed sort is saved into the view.
  await filters.getByLabel('Sort').selectOption('newest')
  await list.locator('.subject').first().filter({ hasText: 'Urgent and new' }).waitFor()
  await page.getByRole('button', { name: 'Save changes to view' }).click()
  await page.getByRole('button', { name: 'Save changes to view' }).waitFor({ state: 'detached' })
  assert.equal((await desk.api('GET', `/api/v1/views/${stored.id}`)).body.sort, 'newest')

  await page.getByRole('button', { name: 'Rename view' }).click()
  await page.getByLabel('View name').fill('VIP urgent')
  await page.getByRole('button', { name: 'Save name' }).click()
  await nav.getByRole('link', { name: 'VIP urgent' }).waitFor()
  assert.equal(await nav.getByRole('link', { name: 'Urgent VIP, oldest first' }).count(), 0)
  // A bookmark of the bare view address applies the view too.
  await page.goto(`/inbox/views/${stored.id}`)
  await list.getByRole('link', { name: 'Urgent and old' }).waitFor()
  assert.equal(await filters.getByLabel('Sort').inputValue(), 'newest')
  assert.deepEqual(await textsOnceEqual(list.locator('.subject'), ['Urgent and new', 'Urgent and old']), ['Urgent and new', 'Urgent and old'])
  assert.ok(first.id && second.id)

  await page.getByRole('button', { name: 'Delete view' }).click()
  await page.getByRole('button', { name: 'Delete', exact: true }).click()
  await page.getByRole('heading', { name: 'All cases', level: 1 }).waitFor()
  await nav.getByRole('link', { name: 'VIP urgent' }).waitFor({ state: 'detached' })
  assert.equal((await desk.api('GET', `/api/v1/views/${stored.id}`)).status, 404)
})

test('a row shows contact, channel, subject or last message, waiting time, SLA countdown, priority and assignee, without a request per row', opts, async () => {
  const policy = await desk.api('POST', '/api/v1/sla-policies', { name: 'Urgent answers', match: { priority: 'urgent' }, targets: { firstResponseMinutes: 240 } })
  assert.equal(policy.status, 201, JSON.stringify(policy.body))
  const withSla = await openCase({ contact: { name: 'Timed Customer', email: 'timed@example.test' }, subject: 'Counting down', priority: 'urgent' })
  const noSubject = await openCase({ contact: { phone: '+14155550199' }, message: { text: 'No subject here, just this message about a broken kettle.' } })
  const assigned = await openCase({ contact: { name: 'Assigned Customer' }, subject: 'Taken care of', assigneeId: desk.agent.id, priority: 'high' })
  // The SLA clock starts in a listener: wait until the API shows it.
  for (let i = 0; !(await desk.api('GET', `/api/v1/conversations/${withSla.id}`)).body.sla?.firstResponseDueAt; i++) {
    assert.ok(i < 600, 'the SLA clock never started')
    await new Promise((r) => setTimeout(r, 100))
  }
  const auditBefore = (await desk.api('GET', '/api/v1/audit-events?action=contact.viewed&limit=100')).body.items.length

  const contactReads: string[] = []
  page.on('request', (r) => {
    if (/\/api\/v1\/contacts\//.test(r.url())) contactReads.push(r.url())
  })
  await page.goto('/inbox/all')
  const list = page.getByRole('list', { name: /Cases:/ })
  const row = (title: string | RegExp) => list.getByRole('listitem').filter({ has: page.getByRole('link', { name: title }) })
  const timed = row('Counting down')
  await timed.waitFor()
  assert.match((await timed.textContent()) ?? '', /Timed Customer/)
  assert.match((await timed.textContent()) ?? '', /API/)
  assert.match((await timed.textContent()) ?? '', /Urgent/)
  assert.match((await timed.locator('.waiting').textContent()) ?? '', /^waiting \d+ min$/)
  assert.match((await timed.locator('.sla').textContent()) ?? '', /^SLA \d+ (min|h|d)$/)
  assert.match((await timed.locator('.sla').getAttribute('title')) ?? '', /^First response due /)
  assert.match((await timed.locator('.meta').textContent()) ?? '', /Hello\./, 'the last message under the subject')

  // Without a subject, the last message names the row (and is the link that opens the case).
  const kettle = row(/No subject here, just this message/)
  assert.match((await kettle.textContent()) ?? '', /\+14155550199/)
  assert.equal(await kettle.locator('.sla').textContent(), '', 'no SLA policy applies')
  assert.equal(await row('Taken care of').locator('.assignee').textContent(), 'Sam Agent')
  assert.equal(await row('Taken care of').locator('.priority').textContent(), 'High')
  assert.equal(await timed.locator('.assignee').textContent(), 'Unassigned')

  assert.deepEqual(contactReads, [], 'rows make no contact request')
  const auditAfter = (await desk.api('GET', '/api/v1/audit-events?action=contact.viewed&limit=100')).body.items.length
  assert.equal(auditAfter, auditBefore, 'no contact.viewed per row')
  assert.deepEqual(await axeViolations(page), [])
  await screenshot(page, 'inbox-rows')
  await kettle.getByRole('link').click()
  await page.getByText('broken kettle').first().waitFor()
  assert.match(page.url(), new RegExp(`/cases/${noSubject.id}$`))
  assert.ok(assigned.id)
})

test('10,000 cases scroll to the end with few rows in the DOM; j, k, Enter and ? still work', opts, async () => {
  const sample = await openCase({ contact: { name: 'Seed' }, subject: 'Seed case' })
  const workspaceId = (await desk.api('GET', '/api/v1/auth/me')).body.workspaceId as string
  const N = 10_000
  const expected = ((await countAll()) + N).toLocaleString('en')
  // Bulk data through the product's database layer, not 10,000 HTTP calls.
  await desk.withServerStopped(async ({ db }) => {
    await db.transaction().execute(async (trx) => {
      await sql`insert into contacts (workspace_id, name) select ${workspaceId}::uuid, 'Scroll customer ' || g from generate_series(1, ${N}) g`.execute(trx)
      const { rows } = await sql<{ seq: string }>`update conversation_counters set seq = seq + ${N} where workspace_id = ${workspaceId} returning seq`.execute(trx)
      const first = Number(rows[0]?.seq) - N
      await sql`
        insert into conversations (workspace_id, number, subject, contact_id, inbox_id, channel, priority, first_inbound_at, last_customer_message_at, last_message_at, created_at, updated_at)
        select ${workspaceId}::uuid, ${first} + g, 'Scroll case ' || g, k.id, ${sample.inboxId}::uuid, 'api',
               (array['low','normal','high','urgent'])[1 + g % 4], t, t, t, t, t
        from generate_series(1, ${N}) g
        join contacts k on k.workspace_id = ${workspaceId}::uuid and k.name = 'Scroll customer ' || g
        cross join lateral (select now() - make_interval(days => 1, secs => g) as t) ts`.execute(trx)
      await sql`
        insert into messages (workspace_id, conversation_id, inbox_id, direction, channel, author_type, author_id, text, created_at)
        select c.workspace_id, c.id, c.inbox_id, 'inbound', 'api', 'contact', c.contact_id, 'Message of ' || c.subject, c.created_at
        from conversations c where c.workspace_id = ${workspaceId}::uuid and c.subject like 'Scroll case %'`.execute(trx)
    })
    await sql`analyze`.execute(db)
  })
  const total = (await desk.api('GET', '/api/v1/conversations?limit=100')).body
  assert.equal(total.items.length, 100)

  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 400) errors.push(`${r.status()} ${r.url()}`)
  })
  await page.goto('/inbox/all')
  await page.getByText('100+ cases').waitFor({ timeout: 60_000 })
  const most = await scrollInboxToEnd(page, `${expected} cases`)
  assert.ok(most < 100, `${most} rows in the DOM at once`)
  // The last page arrived below the rows in view: one more scroll shows the oldest case.
  await page.locator('.inbox-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight))
  await page.getByText('Scroll case 10000', { exact: true }).waitFor()
  assert.ok((await page.locator('.inbox-row').count()) < 100)
  assert.deepEqual(errors, [])

  // Back at the top, by keyboard: j, j, k, then Enter opens the second case.
  await page.locator('.inbox-scroll').evaluate((el) => el.scrollTo(0, 0))
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('j')
  await page.keyboard.press('j')
  await page.keyboard.press('k')
  const second = await page.locator('.inbox-row.active .subject').textContent()
  assert.equal(await page.locator('.inbox-row.active').getAttribute('data-index'), '1')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: second ?? '', level: 1 }).waitFor()
  await page.keyboard.press('?')
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await help.waitFor()
  for (const key of ['j', 'k', 'Enter', '/', '?']) await help.getByText(key, { exact: true }).first().waitFor()
  await help.getByRole('button', { name: 'Close' }).click()
})

/** Every case of the workspace, counted by paging the API (what the inbox must reach). */
async function countAll(): Promise<number> {
  let n = 0
  let cursor: string | null = null
  do {
    const res: { body: { items: unknown[]; nextCursor: string | null } } = await desk.api('GET', `/api/v1/conversations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    n += res.body.items.length
    cursor = res.body.nextCursor
  } while (cursor)
  return n
}
