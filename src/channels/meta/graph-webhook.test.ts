import assert from 'node:assert/strict'
import { test } from 'node:test'
import { messagingItems, messagingWebhookSchema, whatsappItems, whatsappWebhookSchema } from './graph-webhook.ts'
import { floodGate, jobIdFor } from './inbound.worker.ts'
import { messagingPayload, whatsappPayload } from './sandbox.ts'

test('WhatsApp: text, media, location, contacts, interactive replies and statuses become items', () => {
  const payload = whatsappWebhookSchema.parse(
    whatsappPayload('PNID', {
      contacts: [{ wa_id: '14155550100', name: 'Kerry' }],
      messages: [
        { from: '14155550100', id: 'wamid.1', timestamp: '1700000000', type: 'text', text: { body: 'Hello' } },
        { from: '14155550100', id: 'wamid.2', timestamp: '1700000001', type: 'image', image: { id: 'MEDIA1', mime_type: 'image/jpeg', caption: 'the receipt' } },
        { from: '14155550100', id: 'wamid.3', timestamp: '1700000002', type: 'location', location: { latitude: 51.5, longitude: -0.12, name: 'Office', address: '1 Main St' } },
        { from: '14155550100', id: 'wamid.4', timestamp: '1700000003', type: 'contacts', contacts: [{ name: { formatted_name: 'Bob' }, phones: [{ phone: '+1 415 555 0101' }] }] },
        { from: '14155550100', id: 'wamid.5', timestamp: '1700000004', type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes please' } } },
        { from: '14155550100', id: 'wamid.6', timestamp: '1700000005', type: 'document', document: { id: 'MEDIA2', filename: 'invoice.pdf', mime_type: 'application/pdf' } },
      ],
      statuses: [{ id: 'wamid.out', status: 'failed', timestamp: '1700000006', recipient_id: '14155550100', errors: [{ code: 131026, title: 'Message undeliverable' }] }],
    }),
  )
  const items = whatsappItems(payload, 'PNID')
  assert.equal(items.length, 7)
  const [text, image, location, contacts, interactive, doc, status] = items
  assert.deepEqual(text && text.kind === 'message' && { id: text.providerMessageId, text: text.text, from: text.from, sentAt: text.sentAt }, {
    id: 'wamid.1',
    text: 'Hello',
    from: { identityKind: 'whatsapp', value: '14155550100', name: 'Kerry', phone: '+14155550100' },
    sentAt: '2023-11-14T22:13:20.000Z',
  })
  assert.ok(image?.kind === 'message' && image.text === 'the receipt' && image.media[0]?.ref === 'MEDIA1' && image.media[0].kind === 'image')
  assert.ok(location?.kind === 'message' && location.text === 'Location: Office, 1 Main St (51.5, -0.12)')
  assert.ok(contacts?.kind === 'message' && contacts.text === 'Shared contact: Bob +1 415 555 0101')
  assert.ok(interactive?.kind === 'message' && interactive.text === 'Yes please')
  assert.deepEqual(interactive?.kind === 'message' && interactive.metadata.interactive, { type: 'button_reply', id: 'yes', title: 'Yes please' })
  assert.ok(doc?.kind === 'message' && doc.text === '[document: invoice.pdf]' && doc.media[0]?.filename === 'invoice.pdf')
  assert.deepEqual(status, { kind: 'status', providerMessageId: 'wamid.out', status: 'failed', error: '131026: Message undeliverable', at: '2023-11-14T22:13:26.000Z' })
  // Another phone number's changes are not this inbox's.
  assert.equal(whatsappItems(payload, 'OTHER').length, 0)
})

test('WhatsApp: a payload of the wrong shape is refused by the schema', () => {
  assert.equal(whatsappWebhookSchema.safeParse({ object: 'page', entry: [] }).success, false)
  assert.equal(whatsappWebhookSchema.safeParse({ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { messages: [{ id: 'x' }] } }] }] }).success, false)
})

test('Messenger and Instagram: messages, echoes, postbacks and watermarks', () => {
  const payload = messagingWebhookSchema.parse(
    messagingPayload('page', 'PAGE', [
      { sender: { id: 'PSID1' }, recipient: { id: 'PAGE' }, timestamp: 1700000000000, message: { mid: 'm_1', text: 'Hi' } },
      { sender: { id: 'PAGE' }, recipient: { id: 'PSID1' }, timestamp: 1700000000001, message: { mid: 'm_2', text: 'our echo', is_echo: true } },
      { sender: { id: 'PSID1' }, recipient: { id: 'PAGE' }, timestamp: 1700000000002, message: { mid: 'm_3', attachments: [{ type: 'image', payload: { url: 'https://cdn.example/a.jpg' } }] } },
      { sender: { id: 'PSID1' }, recipient: { id: 'PAGE' }, timestamp: 1700000000003, postback: { mid: 'm_4', title: 'Talk to a person', payload: 'HUMAN' } },
      { sender: { id: 'PSID1' }, recipient: { id: 'PAGE' }, timestamp: 1700000000004, delivery: { mids: ['m_out'], watermark: 1700000000004 } },
      { sender: { id: 'PSID1' }, recipient: { id: 'PAGE' }, timestamp: 1700000000005, read: { watermark: 1700000000005 } },
    ]),
  )
  const items = messagingItems(payload, 'messenger', ['PAGE'])
  assert.deepEqual(
    items.map((i) => (i.kind === 'message' ? [i.kind, i.providerMessageId, i.text, i.media.length] : i.kind === 'watermark' ? [i.kind, i.status, i.watermark, i.providerMessageIds] : [i.kind])),
    [
      ['message', 'm_1', 'Hi', 0],
      ['message', 'm_3', '[image]', 1],
      ['message', 'm_4', 'Talk to a person', 0],
      ['watermark', 'delivered', '2023-11-14T22:13:20.004Z', ['m_out']],
      ['watermark', 'read', '2023-11-14T22:13:20.005Z', []],
    ],
  )
  assert.equal(messagingItems(payload, 'messenger', ['OTHER PAGE']).length, 0)
})

test('a replayed item maps to the same job id; another item to another', () => {
  const item = { kind: 'status', providerMessageId: 'wamid.1', status: 'read', at: '2023-01-01T00:00:00Z' } as const
  assert.equal(jobIdFor('inbox', item), jobIdFor('inbox', { ...item, at: '2024-01-01T00:00:00Z' }))
  assert.notEqual(jobIdFor('inbox', item), jobIdFor('inbox', { ...item, status: 'delivered' }))
  assert.notEqual(jobIdFor('inbox', item), jobIdFor('other', item))
  assert.match(jobIdFor('inbox', item), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/)
})

test('a flooding sender is held back, spread over the next minutes; others are not', () => {
  let now = 0
  const gate = floodGate(3, () => now)
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => gate.delayFor('flood')), [0, 0, 0, 20, 40, 60])
  assert.equal(gate.delayFor('someone else'), 0)
  now = 60_000
  assert.equal(gate.delayFor('flood'), 0, 'a new minute starts afresh')
})
