/**
 * The opt-out and opt-in keywords of US/CA messaging (CTIA), which Twilio
 * also honours on long codes: a message whose whole text is one of them
 * changes the sender's SMS consent. Case and surrounding spaces and
 * punctuation do not matter; a keyword inside a sentence does not count
 * ("please stop calling me" is a message to read, not an opt-out).
 */
const optOut = new Set(['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'OPT OUT', 'REVOKE'])
const optIn = new Set(['START', 'UNSTOP', 'YES', 'OPTIN', 'OPT IN'])
const help = new Set(['HELP', 'INFO'])

export type KeywordAction = { action: 'opt-out' | 'opt-in' | 'help'; keyword: string }

export function keywordOf(text: string): KeywordAction | null {
  const word = text
    .trim()
    .replace(/^[\s"'.,!?]+|[\s"'.,!?]+$/g, '')
    .replace(/\s+/g, ' ')
    .toUpperCase()
  if (optOut.has(word)) return { action: 'opt-out', keyword: word }
  if (optIn.has(word)) return { action: 'opt-in', keyword: word }
  if (help.has(word)) return { action: 'help', keyword: word }
  return null
}
