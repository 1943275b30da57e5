import type { SecretBox } from '../../platform/crypto.ts'

/**
 * A conversation token ties a reply to its conversation when the customer's
 * mail client dropped In-Reply-To/References. Outbound mail carries it twice:
 * in the Reply-To plus-address (`support+odk-<token>@acme.test`) and in a
 * footer line (`[ODK-<token>]`). The token is the conversation id (hex, no
 * dashes) and an HMAC over it with the instance secret, so a customer cannot
 * forge a token that files their mail into someone else's conversation.
 * Lower-case only: mail systems may fold the case of local parts.
 */
const TOKEN = /odk-([0-9a-f]{32})-([0-9a-z_-]{10})/i
const FOOTER = /\[ODK-([0-9a-f]{32})-([0-9a-z_-]{10})\]/i

const mac = (box: SecretBox, hex: string) => box.sign(`conversation-token:${hex}`).toLowerCase().replace(/[^0-9a-z]/g, '0').slice(0, 10)

const toHex = (uuid: string) => uuid.replaceAll('-', '').toLowerCase()
const toUuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`

/** `odk-<32 hex>-<10 chars>` for this conversation id. */
export function conversationToken(box: SecretBox, conversationId: string): string {
  const hex = toHex(conversationId)
  return `odk-${hex}-${mac(box, hex)}`
}

/** The Reply-To address carrying the token: `support+odk-…@acme.test`; the plain address when the local part would exceed 64 characters. */
export function tokenReplyTo(box: SecretBox, address: string, conversationId: string): string {
  const at = address.lastIndexOf('@')
  const local = address.slice(0, at).split('+')[0] as string
  const tagged = `${local}+${conversationToken(box, conversationId)}`
  return tagged.length <= 64 ? `${tagged}${address.slice(at)}` : address
}

/** The footer line appended to outbound text: `[ODK-…]`. */
export function tokenFooter(box: SecretBox, conversationId: string): string {
  const hex = toHex(conversationId)
  return `[ODK-${hex}-${mac(box, hex)}]`
}

function verified(box: SecretBox, m: RegExpMatchArray | null): string | null {
  if (!m) return null
  const hex = (m[1] as string).toLowerCase()
  return mac(box, hex) === (m[2] as string).toLowerCase() ? toUuid(hex) : null
}

/** The conversation id in a recipient address (plus-address), if its token verifies. */
export function conversationIdFromAddress(box: SecretBox, address: string): string | null {
  const local = address.slice(0, address.lastIndexOf('@'))
  const plus = local.indexOf('+')
  return plus < 0 ? null : verified(box, local.slice(plus + 1).match(TOKEN))
}

/** The conversation id in a footer token anywhere in the text, if it verifies. */
export function conversationIdFromText(box: SecretBox, text: string): string | null {
  return verified(box, text.match(FOOTER))
}
