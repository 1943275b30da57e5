import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { AppError } from '../../platform/errors.ts'
import { type IdentityKind, identityKinds, normaliseIdentity } from './contacts.types.ts'

/** Realistic addresses (fc.emailAddress() is RFC-wide; we accept the common subset zod's z.email() does). */
const email = fc.stringMatching(/^[a-z0-9]{1,10}([._+-][a-z0-9]{1,10}){0,2}@([a-z0-9]{1,10}(-[a-z0-9]{1,5})?\.){1,3}[a-z]{2,6}$/)

/** Values of every kind that normalise without error, as a fast-check arbitrary. */
const validInputs = fc.oneof(
  email.map((v) => ({ kind: 'email' as IdentityKind, value: v })),
  fc.constantFrom('+44 20 7946 0958', '0033 1 42 68 53 00', '+1 (415) 555-2671', '+49 30 901820').map((v) => ({ kind: 'phone' as IdentityKind, value: v })),
  fc.constantFrom('+34 612 34 56 78', '447911123456').map((v) => ({ kind: 'whatsapp' as IdentityKind, value: v })),
  fc
    .tuple(fc.constantFrom<IdentityKind>('messenger', 'instagram', 'telegram', 'widget', 'external'), fc.string({ minLength: 1, maxLength: 256 }))
    .filter(([, v]) => v.trim().replace(/^@/, '').length > 0 && !/[\u0000-\u001F\u007F-\u009F]/.test(v) && v.isWellFormed())
    .map(([kind, value]) => ({ kind, value })),
)

test('normalisation is idempotent for every kind', () => {
  fc.assert(
    fc.property(validInputs, ({ kind, value }) => {
      const once = normaliseIdentity(kind, value)
      assert.equal(normaliseIdentity(kind, once), once)
    }),
    { numRuns: 500 },
  )
})

test('case and whitespace variants of one email map to the same value', () => {
  const variant = (s: string) =>
    fc
      .tuple(fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.constantFrom('', ' ', '\t', '  \n'), fc.constantFrom('', ' ', '\t '))
      .map(([upper, lead, trail]) => lead + [...s].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + trail)
  fc.assert(
    fc.property(
      email.chain((email) => fc.tuple(fc.constant(email), variant(email))),
      ([email, written]) => {
        assert.equal(normaliseIdentity('email', written), normaliseIdentity('email', email))
        assert.equal(normaliseIdentity('email', written), email.toLowerCase())
      },
    ),
    { numRuns: 300 },
  )
})

test('formatting variants of one phone number map to the same E.164', () => {
  // [country code, national significant number, E.164]
  const numbers = [
    ['44', '2079460958', '+442079460958'],
    ['1', '4155552671', '+14155552671'],
    ['33', '142685300', '+33142685300'],
    ['49', '30901820', '+4930901820'],
    ['34', '612345678', '+34612345678'],
  ] as const
  const separator = fc.constantFrom('', ' ', '-', '.', ' - ')
  const arb = fc.tuple(fc.constantFrom(...numbers), fc.constantFrom('+', '00', '+ '), fc.array(separator, { minLength: 12, maxLength: 12 }), fc.boolean(), fc.constantFrom<IdentityKind>('phone', 'whatsapp'))
  fc.assert(
    fc.property(arb, ([[cc, nsn, e164], prefix, seps, parens, kind]) => {
      // Split the national number into 2–4 groups; optionally wrap the first group in parentheses.
      const cut1 = Math.min(3, nsn.length - 4)
      const groups = [nsn.slice(0, cut1), nsn.slice(cut1, cut1 + 3), nsn.slice(cut1 + 3)]
      const first = parens ? `(${groups[0]})` : groups[0]
      const written = `${prefix}${cc}${seps[0]}${first}${seps[1]}${groups[1]}${seps[2]}${groups[2]}`
      assert.equal(normaliseIdentity(kind, written), e164, written)
    }),
    { numRuns: 300 },
  )
})

test('invalid values are a 400 naming the field', () => {
  const cases: Array<[IdentityKind, string]> = [
    ['email', 'not-an-email'],
    ['email', ''],
    ['phone', '020 7946 0958'], // national format: no country to go by
    ['phone', '+44 12'],
    ['whatsapp', 'hello'],
    ['telegram', '   '],
    ['telegram', '@'],
    ['external', 'a\u0000b'],
    ['widget', 'x'.repeat(257)],
  ]
  for (const [kind, value] of cases) {
    assert.throws(
      () => normaliseIdentity(kind, value, 'body.value'),
      (err: unknown) => err instanceof AppError && err.code === 'VALIDATION_FAILED' && (err.details as Array<{ field: string }>)[0]?.field === 'body.value',
      `${kind} ${JSON.stringify(value)}`,
    )
  }
})

test('telegram usernames lose a leading @ and their case; other handles keep their case', () => {
  assert.equal(normaliseIdentity('telegram', ' @Some_User '), 'some_user')
  assert.equal(normaliseIdentity('external', ' CRM-42 '), 'CRM-42')
  assert.deepEqual([...identityKinds].sort(), ['email', 'external', 'instagram', 'messenger', 'phone', 'telegram', 'whatsapp', 'widget'])
})
