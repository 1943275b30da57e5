import { randomUUID } from 'node:crypto'

/**
 * Every Message-ID Omnidesk generates carries this marker at the end of its
 * local part (`<uuid.omnidesk@domain>`), so our own mail coming back (a
 * forwarding loop, a mailbox that copies everything it receives) is recognised
 * and never opens a conversation. Outbound mail must use generateMessageId().
 */
export const OWN_MESSAGE_ID_MARKER = '.omnidesk@'

/** Outbound mail also carries this header; its presence alone marks a loop. */
export const OWN_LOOP_HEADER = 'x-omnidesk-loop'

/**
 * `unique` defaults to a random UUID; outbound delivery passes the message's
 * own id, so a send repeated after a crash carries the same Message-ID and the
 * recipient's mail system can recognise the copy.
 */
export function generateMessageId(domain: string, unique: string = randomUUID()): string {
  return `<${unique}${OWN_MESSAGE_ID_MARKER}${domain}>`
}

export function isOwnMessageId(messageId: string | null | undefined): boolean {
  return !!messageId && messageId.toLowerCase().includes(OWN_MESSAGE_ID_MARKER)
}
