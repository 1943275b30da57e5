// TEMP stub of the mail workload (the real bench/mail-workload.ts replaces this file):
// the same interface, a minimal implementation so that bench/run.ts can be developed.
import nodemailer from 'nodemailer'

export interface WorkloadMail {
  index: number
  from: string
  to: string
  messageId: string
  kind: 'new' | 'reply'
  parentIndex: number | null
  raw: string /* CRLF */
}

/** A deterministic pseudo-random sequence (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const BODY = 'Hello support team,\r\n\r\nI was charged twice for my subscription this month. Could you refund one of the two payments?\r\n\r\nBest regards,\r\nA customer\r\n'

/** `newMails` mails opening a case each from `senders` customers, then `replies` answers to earlier mails (In-Reply-To/References). */
export function buildMailWorkload(opts: { to: string; seed?: number; senders?: number; newMails?: number; replies?: number }): WorkloadMail[] {
  const { to, seed = 1, senders = 16, newMails = 160, replies = 200 - newMails } = opts
  const random = prng(seed)
  const tag = `${seed}-${Math.floor(random() * 1e9).toString(36)}`
  const mails: WorkloadMail[] = []
  const subjects: string[] = []
  const date = new Date(Date.UTC(2026, 11, 1, 9)).toUTCString()
  const make = (index: number, kind: 'new' | 'reply', sender: number, parentIndex: number | null) => {
    const from = `customer-${sender}-${tag}@sender.example`
    const messageId = `<bench-${tag}-${index}@sender.example>`
    const parent = parentIndex === null ? null : mails[parentIndex]
    const subject = parent ? `Re: ${subjects[parentIndex as number]}` : `Charged twice, order ${index} (${tag})`
    subjects[index] = parent ? (subjects[parentIndex as number] as string) : subject
    const headers = [
      `From: Customer ${sender} <${from}>`,
      `To: ${to}`,
      `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: ${messageId}`,
      ...(parent ? [`In-Reply-To: ${parent.messageId}`, `References: ${parent.messageId}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
    ]
    mails.push({ index, from, to, messageId, kind, parentIndex, raw: `${headers.join('\r\n')}\r\n\r\n${BODY}` })
  }
  for (let i = 0; i < newMails; i++) make(i, 'new', i % senders, null)
  for (let r = 0; r < replies; r++) {
    const parentIndex = Math.floor(random() * newMails)
    make(newMails + r, 'reply', parentIndex % senders, parentIndex)
  }
  return mails
}

/** Sends every mail over `concurrency` SMTP connections; a reply waits until its parent was accepted. */
export async function sendMailWorkload(opts: { host: string; port: number; mails: WorkloadMail[]; concurrency: number }): Promise<{ accepted: number; durationMs: number }> {
  const transport = nodemailer.createTransport({ host: opts.host, port: opts.port, secure: false, ignoreTLS: true, pool: true, maxConnections: opts.concurrency, maxMessages: Infinity })
  const done = new Map<number, Promise<void>>()
  let next = 0
  let accepted = 0
  const t0 = performance.now()
  const worker = async () => {
    for (;;) {
      const mail = opts.mails[next++]
      if (!mail) return
      const sent = (async () => {
        if (mail.parentIndex !== null) await done.get(mail.parentIndex)
        await transport.sendMail({ envelope: { from: mail.from, to: [mail.to] }, raw: mail.raw })
        accepted++
      })()
      done.set(mail.index, sent)
      await sent
    }
  }
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker))
  } finally {
    transport.close()
  }
  return { accepted, durationMs: performance.now() - t0 }
}
