import { type ParsedEmail, parseEmail } from './parse.ts'

/** What the worker answers: the parse, or mailparser's refusal (a property of the message, not of the worker). */
export type ParseTaskResult = { ok: true; parsed: ParsedEmail } | { ok: false; error: string }

/**
 * Piscina task (parse-pool.ts): parses raw messages off the main thread, one
 * answer per message, in order. Several per task: the pool sends the mails
 * asked for together (a claimed batch) as one task, one message to the
 * thread and one back instead of one pair each.
 */
export default async function parseTask(raws: Uint8Array[]): Promise<ParseTaskResult[]> {
  const out: ParseTaskResult[] = []
  for (const raw of raws) {
    try {
      out.push({ ok: true, parsed: await parseEmail(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)) })
    } catch (err) {
      out.push({ ok: false, error: (err as Error).message || String(err) })
    }
  }
  return out
}
