import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { decideReason, hardReasons } from './bounce-reasons.ts'
import { classifyEmail } from './classify.ts'
import { expectedClassification, fixtureDir, fixtureFiles } from './email.fixtures.ts'
import { parseEmail } from './parse.ts'

/** The labelled corpus of bounces, receipts, auto-replies and look-alike customer mail (test/fixtures/bounces). */
const corpusDir = path.resolve(import.meta.dirname, '../../../test/fixtures/bounces')
const corpus = fs
  .readFileSync(path.join(corpusDir, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => {
    const [file, kind, severity, reason, recipient] = l.split('\t') as [string, string, string, string, string]
    return { file, kind, severity, reason, recipient }
  })

/** The envelope sender the fixture arrived with: its Return-Path (`<>` for delivery reports). */
const envelopeOf = (raw: Buffer) => ({ from: /^Return-Path: <>/m.test(raw.toString('latin1')) ? '' : null })

test('the labelled corpus: every fixture gets its kind, hard/soft, reason and failed recipient', async () => {
  assert.ok(corpus.length >= 40, `at least 40 fixtures, got ${corpus.length}`)
  assert.deepEqual(new Set(fs.readdirSync(corpusDir).filter((f) => f.endsWith('.eml'))), new Set(corpus.map((c) => c.file)), 'every .eml is in the manifest')
  const wrong: string[] = []
  for (const f of corpus) {
    const raw = fs.readFileSync(path.join(corpusDir, f.file))
    const c = classifyEmail(await parseEmail(raw), envelopeOf(raw))
    const d = c.details as { hard?: boolean; reason?: string; recipients?: Array<{ recipient: string | null }> }
    const got =
      c.classification === 'bounce'
        ? `bounce/${d.hard ? 'hard' : 'soft'}/${d.reason}/${d.recipients?.[0]?.recipient?.toLowerCase() ?? '-'}`
        : `${c.classification}/-/-/-`
    const want = f.kind === 'bounce' ? `bounce/${f.severity}/${f.reason}/${f.recipient}` : `${f.kind}/-/-/-`
    if (got !== want) wrong.push(`${f.file}: got ${got}, want ${want}`)
  }
  assert.deepEqual(wrong, [])
})

test('hard only for reasons that mean the address is gone; soft bounces of every other kind', () => {
  const hard = corpus.filter((c) => c.severity === 'hard')
  const soft = corpus.filter((c) => c.severity === 'soft')
  assert.ok(hard.length >= 10 && soft.length >= 15, 'both kinds are well represented')
  for (const c of hard) assert.ok(hardReasons.has(c.reason as never), `${c.file}: ${c.reason} is a hard reason`)
  for (const c of soft) assert.ok(!hardReasons.has(c.reason as never), `${c.file}: ${c.reason} is a soft reason`)
})

test('the reason text wins over the class digit; a transient report is never hard', () => {
  const v = (status: string | null, diagnostic: string | null, action = 'failed') => decideReason({ status, diagnostic, action })
  assert.deepEqual(v('5.2.2', '552 5.2.2 Mailbox full'), { reason: 'mailbox_full', hard: false })
  assert.deepEqual(v('5.7.1', '550 5.7.1 Message rejected as spam by Content Filtering'), { reason: 'spam', hard: false })
  assert.deepEqual(v('5.0.0', '550 Rate limit exceeded, slow down'), { reason: 'rate_limited', hard: false })
  assert.deepEqual(v('5.1.1', '550 5.1.1 <x@y.test>: Recipient address rejected: User unknown'), { reason: 'user_unknown', hard: true })
  assert.deepEqual(v('5.1.1', null), { reason: 'user_unknown', hard: true }, 'the status code alone when nothing is said')
  assert.deepEqual(v('5.1.6', null), { reason: 'moved', hard: true })
  assert.deepEqual(v(null, '550 5.1.2 Host unknown'), { reason: 'host_unknown', hard: true }, 'the status code inside the diagnostic')
  assert.deepEqual(v('4.1.1', '450 4.1.1 User unknown in local recipient table', 'delayed'), { reason: 'user_unknown', hard: false })
  assert.deepEqual(v('4.4.1', 'connect to mx: Connection timed out'), { reason: 'expired', hard: false }, 'a 4.x.x given up is expired')
  assert.deepEqual(v('5.0.0', '550 Requested action not taken'), { reason: 'unknown', hard: false }, 'an unexplained 550 is not hard')
})

test('none of the 56 real messages changes kind; no customer mail becomes a bounce', async () => {
  for (const file of fixtureFiles()) {
    const raw = fs.readFileSync(path.join(fixtureDir, file))
    const c = classifyEmail(await parseEmail(raw))
    assert.equal(c.classification, expectedClassification(file), file)
  }
})
