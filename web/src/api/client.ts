/**
 * The typed API client: every path, body and response type comes from
 * schema.d.ts, which `npm run gen:api` generates from the server's OpenAPI
 * document. Cookie-authenticated writes carry the double-submit CSRF header.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type Conversation = Schemas['Conversation']
/** A conversation as list rows show it (with its contact's name and last message). */
export type ConversationListItem = Schemas['ConversationListItem']
export type SavedView = Schemas['SavedView']
export type SearchResult = Schemas['SearchResult']
export type Message = Schemas['Message']
export type TimelineItem = Schemas['TimelineItem']
export type Contact = Schemas['Contact']
export type ContactMerge = Schemas['ContactMerge']
export type User = Schemas['User']
export type Team = Schemas['Team']
export type Inbox = Schemas['Inbox']
export type Category = Schemas['Category']
export type Tag = Schemas['Tag']
export type CustomField = Schemas['CustomField']
export type Attachment = Schemas['Attachment']
export type MergeSuggestion = Schemas['MergeSuggestion']
export type Me = paths['/api/v1/auth/me']['get']['responses'][200]['content']['application/json']
export type ConversationFilters = NonNullable<paths['/api/v1/conversations']['get']['parameters']['query']>
export type ConversationPatch = NonNullable<paths['/api/v1/conversations/{id}']['patch']['requestBody']>['content']['application/json']

export const CSRF_COOKIE = 'omnidesk_csrf'
export const CSRF_HEADER = 'x-csrf-token'

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return undefined
}

/** One problem of a refused request, named like the request field (`body.categoryId`). */
export interface FieldProblem {
  field: string
  message: string
}

/** An API refusal: `{ error: { code, message, details? } }` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }

  /** The field-level problems in details, when the server gave them. */
  get fields(): FieldProblem[] {
    const d = this.details
    if (!Array.isArray(d)) return []
    return d.filter((x): x is FieldProblem => typeof x === 'object' && x !== null && typeof x.field === 'string' && typeof x.message === 'string')
  }
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const token = readCookie(CSRF_COOKIE)
      if (token) request.headers.set(CSRF_HEADER, token)
    }
    return request
  },
}

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' })
api.use(csrf)

type Result<T> = { data?: T; error?: unknown; response: Response }

/** The data of a successful call, or throws ApiError with the server's words. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let res: Result<T>
  try {
    res = await call
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `The server could not be reached (${(err as Error).message})`)
  }
  if (res.response.ok) return res.data as T
  const body = res.error as { error?: { code?: string; message?: string; details?: unknown } } | undefined
  const e = body?.error
  throw new ApiError(res.response.status, e?.code ?? `HTTP_${res.response.status}`, e?.message ?? res.response.statusText, e?.details)
}
