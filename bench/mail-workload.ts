import nodemailer from 'nodemailer'

/**
 * A deterministic inbound-mail workload: new mails from a set of senders and
 * replies to earlier ones, in the MIME shapes customers send (plain text,
 * HTML with a text alternative, quoted-printable with non-ASCII, base64
 * attachments). Used by the correctness tests (test/email-workload.test.ts)
 * and the benchmarks.
 *
 * Replies are placed a few positions around their parent in the send order,
 * so with several connections they travel concurrently with it, and about a
 * third of them are sent before it: the pipeline must thread out of order.
 */
export interface WorkloadMail {
  index: number
  from: string
  to: string
  messageId: string
  kind: 'new' | 'reply'
  parentIndex: number | null
  /** Full RFC 5322 message, CRLF line ends. */
  raw: string
}

/** Mulberry32: small, seeded, good enough to shuffle a corpus reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TOPICS = [
  'Charged twice for my subscription',
  'Cannot reset my password',
  'Invoice address is wrong',
  'Parcel arrived damaged',
  'How do I export my data?',
  'Refund for order',
  'App crashes on start',
  'Change of delivery date',
  'Discount code not accepted',
  'Account locked after update',
]

const FIRST = ['Ana', 'Bruno', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Greta', 'Hiro', 'Inès', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nora', 'Olu', 'Priya']

/** Base64 in 76-character lines, as MIME wants it. */
const b64 = (buf: Buffer) => (buf.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')

/** Quoted-printable (RFC 2045) of UTF-8 text: enough for the corpus (soft breaks at 76). */
function qp(text: string): string {
  const out: string[] = []
  for (const line of text.split('\n')) {
    let enc = ''
    for (const byte of Buffer.from(line, 'utf8')) {
      const ch = String.fromCharCode(byte)
      enc += (byte >= 33 && byte <= 126 && ch !== '=') || byte === 32 ? ch : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`
    }
    if (enc.endsWith(' ')) enc = `${enc.slice(0, -1)}=20`
    const parts: string[] = []
    while (enc.length > 75) {
      let cut = 75
      // Never split an =XX escape.
      const eq = enc.lastIndexOf('=', cut)
      if (eq > cut - 3) cut = eq
      parts.push(`${enc.slice(0, cut)}=`)
      enc = enc.slice(cut)
    }
    parts.push(enc)
    out.push(...parts)
  }
  return out.join('\r\n')
}

/** RFC 2047 encoded word when the text is not ASCII. */
const word = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`)

/** Builds the workload; the same options always give the same mails. */
export function buildMailWorkload(opts: { to: string; seed?: number; senders?: number; newMails?: number; replies?: number }): WorkloadMail[] {
  const seed = opts.seed ?? 1
  const senderCount = opts.senders ?? 16
  const newCount = opts.newMails ?? 160
  const replyCount = opts.replies ?? 40
  if (senderCount < 1 || newCount < senderCount) throw new Error('need at least one new mail per sender')
  if (replyCount > newCount) throw new Error('at most one reply per new mail')
  const rand = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
  const runTag = `s${seed}`
  const senders = Array.from({ length: senderCount }, (_, i) => ({
    name: `${FIRST[i % FIRST.length]} Customer${i >= FIRST.length ? ` ${Math.floor(i / FIRST.length) + 1}` : ''}`,
    address: `customer-${i + 1}@sender-${(i % 4) + 1}.example`,
  }))
  const date = (i: number) => new Date(Date.UTC(2026, 10, 2, 9, 0, 0) + i * 60_000).toUTCString().replace('GMT', '+0000')

  interface Draft {
    index: number
    sender: (typeof senders)[number]
    kind: 'new' | 'reply'
    parentIndex: number | null
    subject: string
    messageId: string
    inReplyTo: string | null
    references: string[]
  }
  const drafts: Draft[] = []
  for (let i = 0; i < newCount; i++) {
    const sender = senders[i % senderCount] as Draft['sender']
    // Subjects are unique per mail, so the subject fallback never joins two new mails of one sender.
    drafts.push({ index: i, sender, kind: 'new', parentIndex: null, subject: `${pick(TOPICS)} (#${runTag}-${i + 1})`, messageId: `<wl-${runTag}-${i + 1}@${sender.address.split('@')[1]}>`, inReplyTo: null, references: [] })
  }
  // Replies to distinct parents chosen across the whole range.
  const parents = Array.from({ length: newCount }, (_, i) => i)
  for (let i = parents.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[parents[i], parents[j]] = [parents[j] as number, parents[i] as number]
  }
  for (let r = 0; r < replyCount; r++) {
    const parent = drafts[parents[r] as number] as Draft
    // Half come from the parent's sender, half from another sender of the set (a colleague in the thread).
    const sender = rand() < 0.5 ? parent.sender : (senders[(senders.indexOf(parent.sender) + 1 + Math.floor(rand() * (senderCount - 1))) % senderCount] as Draft['sender'])
    const index = newCount + r
    drafts.push({
      index,
      sender,
      kind: 'reply',
      parentIndex: parent.index,
      subject: `Re: ${parent.subject}`,
      messageId: `<wl-${runTag}-r${r + 1}@${sender.address.split('@')[1]}>`,
      inReplyTo: parent.messageId,
      references: [parent.messageId],
    })
  }

  const mails = drafts.map((d): WorkloadMail => ({ index: d.index, from: d.sender.address, to: opts.to, messageId: d.messageId, kind: d.kind, parentIndex: d.parentIndex, raw: render(d) }))

  function render(d: Draft): string {
    const shape = d.index % 4 // plain, HTML, quoted-printable, attachment
    const greeting = `Hello support team,`
    const body =
      d.kind === 'reply'
        ? `Any news on this? I am still waiting.\n\nThanks,\n${d.sender.name}\n\nOn ${date(d.parentIndex ?? 0)}, someone wrote:\n> ${greeting}\n> the original question.`
        : `${greeting}\n\n${d.subject}. Could you please look into it? Order reference ${1000 + d.index}.\n\nBest regards,\n${d.sender.name}`
    const headers = [
      `From: ${word(d.sender.name)} <${d.sender.address}>`,
      `To: <${opts.to}>`,
      `Subject: ${word(d.subject)}`,
      `Date: ${date(d.index)}`,
      `Message-ID: ${d.messageId}`,
      ...(d.inReplyTo ? [`In-Reply-To: ${d.inReplyTo}`, `References: ${d.references.join(' ')}`] : []),
      'MIME-Version: 1.0',
    ]
    const boundary = `=_wl_${runTag}_${d.index}`
    let mime: string[]
    if (shape === 0) mime = ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit', '', body.replace(/[^\x00-\x7f]/g, '?')]
    else if (shape === 1) {
      const html = `<html><body><p>${body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n\n/g, '</p><p>').replace(/\n/g, '<br>')}</p></body></html>`
      mime = [
        `Content-Type: multipart/alternative; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        qp(body),
        `--${boundary}`,
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        qp(html),
        `--${boundary}--`,
      ]
    } else if (shape === 2) mime = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', qp(`${body}\n\nGrüße aus Köln — naïve façade, 10 € — ${'long line '.repeat(12)}`)]
    else {
      const attachment = Buffer.from(Array.from({ length: 1024 + (d.index % 7) * 512 }, (_, i) => (i * 31 + d.index) & 0xff))
      mime = [
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        qp(body),
        `--${boundary}`,
        `Content-Type: application/octet-stream; name="log-${d.index + 1}.bin"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename="log-${d.index + 1}.bin"`,
        '',
        b64(attachment),
        `--${boundary}--`,
      ]
    }
    return `${[...headers, ...mime].join('\r\n').replace(/\r?\n/g, '\r\n')}\r\n`
  }

  // Send order: new mails in order; each reply lands a few places around its parent (-4…+3),
  // so it usually travels concurrently with it and is sent first about half of the time.
  const order: Array<{ key: number; mail: WorkloadMail }> = mails.map((m) => ({ key: m.kind === 'new' ? m.index : (m.parentIndex as number) + Math.floor(rand() * 8) - 4 + 0.5, mail: m }))
  order.sort((a, b) => a.key - b.key || a.mail.index - b.mail.index)
  return order.map((o) => o.mail)
}

/**
 * Sends every mail over real SMTP with `concurrency` parallel connections
 * (nodemailer's pool, raw messages, envelope from the From address).
 * Resolves when all got a 250; rejects on any refusal.
 */
export async function sendMailWorkload(opts: { host: string; port: number; mails: WorkloadMail[]; concurrency: number }): Promise<{ accepted: number; durationMs: number }> {
  const transport = nodemailer.createTransport({ host: opts.host, port: opts.port, secure: false, ignoreTLS: true, pool: true, maxConnections: opts.concurrency, maxMessages: Infinity })
  const t0 = performance.now()
  let accepted = 0
  try {
    // Fed in send order; the pool hands each to the next free connection.
    await Promise.all(
      opts.mails.map(async (m) => {
        const info = await transport.sendMail({ envelope: { from: m.from, to: [m.to] }, raw: m.raw })
        const code = Number(String(info.response).slice(0, 3))
        if (code < 200 || code > 299) throw new Error(`mail ${m.index} (${m.messageId}) got ${info.response}`)
        accepted++
      }),
    )
  } finally {
    transport.close()
  }
  return { accepted, durationMs: performance.now() - t0 }
}
