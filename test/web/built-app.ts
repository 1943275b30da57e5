// Test helper: makes sure dist/web is built from the current web/ sources (CI builds it
// in `npm ci`; a developer who changed web/ gets a rebuild here, once per file).
// @ts-expect-error -- a plain .mjs build script without type declarations
import { buildWeb, webDist, webStaleReason } from '../../scripts/web-build.mjs'

export async function ensureWebBuilt(): Promise<string> {
  if ((webStaleReason as () => string | null)() !== null) await (buildWeb as (o: { quiet: boolean }) => Promise<boolean>)({ quiet: true })
  return webDist as string
}
