/**
 * Separates what the customer just wrote from the quoted history and the
 * signature below it, so the timeline shows the new text; the full text stays
 * in the message metadata. Heuristic by nature: when in doubt it keeps text,
 * and an empty result falls back to the full text.
 */
export interface ReplyText {
  text: string
  /** True when quoted history was removed. */
  quoted: boolean
  /** True when a signature was removed. */
  signature: boolean
}

const attributionLine = [
  /^On\b.{0,300}\bwrote:\s*$/i,
  /^Am\b.{0,300}\bschrieb\b.{0,200}:\s*$/i,
  /^Le\b.{0,300}\ba [ée]crit\s*:\s*$/i,
  /^El\b.{0,300}\bescribi[óo]\s*:\s*$/i,
  /^Il\b.{0,300}\bha scritto\s*:\s*$/i,
  /^Op\b.{0,300}\bschreef\b.{0,200}:\s*$/i,
]
const originalMessage = /^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}\s*$/i
const outlookFrom = /^\s*\*?(From|Von|De|Da|Van)\s*:\*?\s+\S/i
const outlookSent = /^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Inviato|Verzonden)\s*:\*?\s+\S/i
const underscoreRule = /^\s*_{10,}\s*$/
const mobileSignature = /^\s*(Sent from my (iPhone|iPad|Android|BlackBerry|mobile|phone)|Sent from (Mail|Outlook) for|Von meinem (iPhone|iPad) gesendet|Envoyé de mon (iPhone|iPad))\b/i

const forwardMarker = /^\s*(-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}|Begin forwarded message:)\s*$/i

const isQuoted = (line: string) => /^\s*>/.test(line)

/** Index of the line where quoted history begins, or -1. */
function historyStart(lines: string[]): { index: number; span: number; kind: 'attribution' | 'original' | 'outlook' } | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const joined = `${line} ${lines[i + 1] ?? ''}`.trim()
    // A forwarded message is what the customer chose to send us: keep it whole.
    if (forwardMarker.test(line)) return null
    if (attributionLine.some((r) => r.test(line.trim()))) return { index: i, span: 1, kind: 'attribution' }
    // Clients wrap a long attribution onto a second line.
    if (/^(On|Am|Le|El)\b/i.test(line.trim()) && attributionLine.some((r) => r.test(joined))) return { index: i, span: 2, kind: 'attribution' }
    if (originalMessage.test(line)) return { index: i, span: 1, kind: 'original' }
    if (outlookFrom.test(line) && lines.slice(i + 1, i + 5).some((l) => outlookSent.test(l))) {
      const prev = lines[i - 1]
      return { index: prev !== undefined && underscoreRule.test(prev) ? i - 1 : i, span: 1, kind: 'outlook' }
    }
  }
  return null
}

export function extractReplyText(full: string): ReplyText {
  let lines = full.replace(/\r\n?/g, '\n').split('\n')
  let quoted = false
  let signature = false

  const start = historyStart(lines)
  if (start) {
    const after = lines.slice(start.index + start.span).filter((l) => l.trim() !== '')
    // Inline answers between quoted lines are new text: only cut when nothing but quotes follows.
    const onlyQuotesFollow = start.kind !== 'attribution' || after.every(isQuoted)
    if (onlyQuotesFollow) {
      lines = lines.slice(0, start.index)
      quoted = true
    } else {
      lines = lines.filter((_, i) => i < start.index || i >= start.index + start.span)
    }
  }
  if (lines.some(isQuoted)) {
    lines = lines.filter((l) => !isQuoted(l))
    quoted = true
  }

  // The conventional signature separator is "-- " on its own line; the last one wins.
  const sep = lines.findLastIndex((l) => l === '-- ' || l === '--')
  if (sep >= 0) {
    lines = lines.slice(0, sep)
    signature = true
  }
  const mobile = lines.findLastIndex((l) => mobileSignature.test(l))
  if (mobile >= 0 && lines.slice(mobile + 1).every((l) => l.trim() === '')) {
    lines = lines.slice(0, mobile)
    signature = true
  }

  const text = lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()
  if (!text) return { text: full.trim(), quoted: false, signature: false }
  return { text, quoted, signature }
}
