import type { z } from 'zod'
import { AppError } from '../../platform/errors.ts'
import type { ChannelDefinition } from '../../channels/channel.ts'

/**
 * Splitting an inbox's settings into the public config and the secrets kept
 * encrypted, and putting them back together. Secret keys are dotted paths.
 * Pure functions, no I/O.
 */

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function getPath(o: Obj, path: string[]): unknown {
  let cur: unknown = o
  for (const k of path) {
    if (!isObj(cur)) return undefined
    cur = cur[k]
  }
  return cur
}

function setPath(o: Obj, path: string[], value: unknown): void {
  let cur = o
  for (const k of path.slice(0, -1)) {
    if (!isObj(cur[k])) cur[k] = {}
    cur = cur[k] as Obj
  }
  cur[path[path.length - 1] as string] = value
}

function deletePath(o: Obj, path: string[]): void {
  const parent = getPath(o, path.slice(0, -1))
  if (isObj(parent)) delete parent[path[path.length - 1] as string]
}

/**
 * JSON merge patch (RFC 7396): objects merge key by key, `null` removes a key,
 * anything else replaces. Returns a new object.
 */
export function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target }
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else if (isObj(v)) out[k] = mergePatch(isObj(out[k]) ? (out[k] as Obj) : {}, v)
    else out[k] = v
  }
  return out
}

/** Moves the secret settings out of a validated config. */
export function splitSecrets(def: ChannelDefinition, full: Obj): { config: Obj; secrets: Obj } {
  const config = structuredClone(full)
  const secrets: Obj = {}
  for (const key of def.secretKeys) {
    const path = key.split('.')
    const value = getPath(config, path)
    if (value === undefined) continue
    setPath(secrets, path, value)
    deletePath(config, path)
  }
  return { config, secrets }
}

/** The secret keys set in `secrets`, in the definition's order. */
export function secretsSetIn(def: ChannelDefinition, secrets: Obj): string[] {
  return def.secretKeys.filter((k) => getPath(secrets, k.split('.')) !== undefined)
}

/** The secret keys whose value differs between two secret sets (added, removed or replaced). */
export function changedSecrets(def: ChannelDefinition, before: Obj, after: Obj): string[] {
  return def.secretKeys.filter((k) => getPath(before, k.split('.')) !== getPath(after, k.split('.')))
}

/**
 * Validates settings with the channel's schema; a failure is a 400 naming each
 * field under `fieldPrefix` (`body.config.address`).
 */
export function parseConfig(def: ChannelDefinition, raw: unknown, fieldPrefix = 'body.config'): Obj {
  const result = def.configSchema.safeParse(raw)
  if (result.success) return result.data as Obj
  const details = result.error.issues.flatMap((issue: z.core.$ZodIssue) => {
    const base = [fieldPrefix, ...issue.path.map(String)].join('.')
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: `${base}.${key}`, message: `is not a setting of the ${def.channel} channel` }))
    return [{ field: base, message: issue.message }]
  })
  throw new AppError('VALIDATION_FAILED', `Invalid ${def.channel} inbox settings: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details)
}

export { openSecrets } from '../../channels/channel.ts'
