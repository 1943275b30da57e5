import { type ParsedEmail, parseEmail } from './parse.ts'

/** What the worker answers: the parse, or mailparser's refusal (a property of the message, not of the worker). */
export type ParseTaskResult = { ok: true; parsed: ParsedEmail } | { ok: false; error: string }

/** Piscina task (parse-pool.ts): parses one raw message off the main thread. */
export default async function parseTask(raw: Uint8Array): Promise<ParseTaskResult> {
  try {
    return { ok: true, parsed: await parseEmail(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)) }
  } catch (err) {
    return { ok: false, error: (err as Error).message || String(err) }
  }
}
