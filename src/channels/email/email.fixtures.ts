import fs from 'node:fs'
import path from 'node:path'
import type { Classification } from './classify.ts'

/** The 56 real messages of ../shared/data/email (test data only; never shipped). */
export const fixtureDir = path.resolve(import.meta.dirname, '../../../../shared/data/email')

export const fixtureFiles = (): string[] =>
  fs
    .readFileSync(path.join(fixtureDir, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0] ?? '')
    .filter((f) => f.endsWith('.eml'))

/**
 * What each fixture must be classified as. Bounces, complaints and receipts
 * by their file names; three old mailing-list posts carry `Precedence: bulk`
 * and are labelled auto_reply (bulk mail never opens a case); the rest are
 * ordinary messages.
 */
export function expectedClassification(file: string): Classification {
  if (/bounce|delivery-status/.test(file)) return 'bounce'
  if (/complaints_|__arf/.test(file)) return 'complaint'
  if (/disposition-notification/.test(file)) return 'receipt'
  if (['flanker__apache-message-news-mime.eml', 'flanker__from-encoding.eml', 'flanker__message-external-body.eml'].includes(file)) return 'auto_reply'
  return 'customer'
}
