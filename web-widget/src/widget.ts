/**
 * The Omnidesk chat widget: `<script src="https://HOST/widget.js" data-inbox-id="…" async></script>`.
 * Renders into a shadow root (the page's CSS and ours stay apart), talks to
 * HOST over a WebSocket (connection.ts), and exposes
 * `window.Omnidesk.identify({ id, email?, name?, hash })`, `reset()` (sign-out), `open()` and `close()`.
 * Everything from the server is shown with textContent: never as HTML.
 */
import { Connection, newClientId, type Queued, type ServerFrame } from './connection.ts'
import { fill, pickLocale, wordsFor } from './i18n.ts'
import { css } from './styles.ts'

interface MessageView {
  id: string
  clientId: string | null
  direction: 'inbound' | 'outbound'
  text: string
  author: { name: string; avatarUrl: string | null } | null
  attachments: Array<{ filename: string }>
  createdAt: string
}
interface Welcome {
  title: string
  open: boolean
  message: string | null
  preChatForm: boolean
  avatarUrl: string | null
  limits: { maxMessageLength: number; maxFileBytes: number; allowedTypes: string[] }
}
interface Identity {
  id: string
  email?: string
  name?: string
  hash?: string
}

const script = document.currentScript as HTMLScriptElement | null
const inboxId = script?.dataset.inboxId ?? ''
const serverOrigin = script ? new URL(script.src, location.href).origin : location.origin
const t = wordsFor(pickLocale(navigator.languages?.length ? navigator.languages : [navigator.language]))

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
  for (const c of children) el.append(c)
  return el
}

const host = h('div', { id: 'omnidesk-chat' })
const root = host.attachShadow({ mode: 'open' })
root.append(h('style', {}, css))

const launcher = h('button', { class: 'launcher', type: 'button', 'aria-label': t.openChat, 'aria-expanded': 'false', 'aria-controls': 'omnidesk-panel' })
launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>'
const badge = h('span', { class: 'badge', hidden: '' })
launcher.append(badge)

const title = h('h2', { id: 'omnidesk-title' }, t.support)
const closeButton = h('button', { type: 'button', 'aria-label': t.closeChat }, '×')
const status = h('div', { class: 'status', role: 'status' })
const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.conversation, tabindex: '0' })
const typing = h('div', { class: 'typing', 'aria-live': 'polite' })
const textarea = h('textarea', { id: 'omnidesk-message', rows: '1', placeholder: t.placeholder, 'aria-label': t.message, maxlength: '5000' })
const sendButton = h('button', { class: 'send', type: 'submit' }, t.send)
const fileInput = h('input', { type: 'file', class: 'sr', tabindex: '-1', 'aria-hidden': 'true' })
const attachButton = h('button', { class: 'attach', type: 'button', 'aria-label': t.attach, title: t.attach })
attachButton.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5"/></svg>'
const composer = h('form', { class: 'composer' }, attachButton, fileInput, textarea, sendButton)
const prechat = h('form', { class: 'prechat', hidden: '' })
const panel = h('div', { class: 'panel', id: 'omnidesk-panel', role: 'dialog', 'aria-labelledby': 'omnidesk-title', hidden: '' }, h('header', {}, title, closeButton), status, log, typing, prechat, composer)
root.append(panel, launcher)

let welcome: Welcome | null = null
let history: MessageView[] = []
let unread = 0
let seenAt: string | null = null
let typingTimer: number | null = null
let lastTypingSent = 0
let stopTypingTimer: number | null = null
let pendingIdentity: Identity | null = null
let preChatDone = false
const failures = new Map<string, string>()

const conn = new Connection(`${serverOrigin.replace(/^http/, 'ws')}/chat/ws?inboxId=${encodeURIComponent(inboxId)}`, inboxId, {
  onReady(frame) {
    welcome = frame.welcome as Welcome
    history = frame.history as MessageView[]
    preChatDone = Boolean((frame.profile as { preChatDone?: boolean }).preChatDone)
    title.textContent = welcome.title
    textarea.maxLength = welcome.limits.maxMessageLength
    if (pendingIdentity) conn.raw({ type: 'identify', ...pendingIdentity })
    render()
  },
  onFrame,
  onState(state, detail) {
    status.textContent = state === 'down' ? t.reconnecting : state === 'refused' ? `${t.unavailable} ${detail ?? ''}` : state === 'connecting' && !welcome ? t.connecting : ''
  },
  onQueueChange: () => render(),
})

function onFrame(frame: ServerFrame) {
  switch (frame.type) {
    case 'message': {
      const m = frame.message as MessageView
      if (!history.some((x) => x.id === m.id || (m.clientId && x.clientId === m.clientId))) history.push(m)
      if (m.direction === 'outbound') {
        typing.textContent = ''
        if (panel.hidden) unread++
        else markRead()
      }
      render()
      break
    }
    case 'ack': {
      const q = conn.queue.find((x) => x.clientId === frame.clientId)
      const text = q?.text ?? history.find((x) => x.clientId === frame.clientId)?.text
      if (!history.some((x) => x.id === frame.id) && text !== undefined)
        history.push({ id: String(frame.id), clientId: String(frame.clientId), direction: 'inbound', text, author: null, attachments: [], createdAt: String(frame.createdAt) })
      render()
      break
    }
    case 'error':
      if (typeof frame.clientId === 'string') {
        if (frame.code === 'RATE_LIMITED') status.textContent = t.tooMany
        else failures.set(frame.clientId, String(frame.message))
        render()
      }
      break
    case 'typing': {
      typing.textContent = frame.typing ? fill(t.typing, { name: String(frame.name ?? t.support) }) : ''
      if (typingTimer !== null) clearTimeout(typingTimer)
      typingTimer = window.setTimeout(() => (typing.textContent = ''), 6000)
      break
    }
    case 'read':
      seenAt = String(frame.at)
      render()
      break
    case 'identified':
      history = frame.history as MessageView[]
      render()
      break
    case 'prechat-saved':
      preChatDone = true
      render()
      textarea.focus()
      break
  }
}

const initials = (name: string) =>
  name
    .split(/\s+/)
    .map((w) => w[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase()

function bubble(m: { direction: string; text: string; author?: MessageView['author']; attachments?: MessageView['attachments'] }, note?: string): HTMLElement {
  const el = h('div', { class: `msg ${m.direction === 'outbound' ? 'out' : 'in'}` })
  if (m.direction === 'outbound') {
    const name = m.author?.name ?? t.support
    const avatarUrl = m.author?.avatarUrl ?? welcome?.avatarUrl
    const avatar = avatarUrl ? h('img', { class: 'avatar', src: avatarUrl, alt: '' }) : h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name))
    el.append(h('div', { class: 'who' }, avatar, name))
  } else el.append(h('span', { class: 'sr' }, `${t.you}: `))
  el.append(document.createTextNode(m.text))
  if (note) el.append(h('div', { class: 'meta' }, note))
  return el
}

function render() {
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40
  const nodes: HTMLElement[] = []
  if (welcome) {
    const greeting = welcome.open ? welcome.message : (welcome.message ?? t.away)
    if (greeting) nodes.push(h('div', { class: 'msg system' }, greeting))
  }
  const lastOwn = [...history].reverse().find((m) => m.direction === 'inbound')
  for (const m of history) {
    const seen = m === lastOwn && seenAt !== null && seenAt >= m.createdAt ? t.seen : undefined
    nodes.push(bubble(m, m.clientId && failures.has(m.clientId) ? `${t.failed}: ${failures.get(m.clientId)}` : seen))
  }
  for (const q of conn.queue) if (!history.some((m) => m.clientId === q.clientId)) nodes.push(bubble({ direction: 'inbound', text: q.text }, t.queued))
  for (const [clientId, why] of failures) if (!history.some((m) => m.clientId === clientId) && !conn.queue.some((q) => q.clientId === clientId)) nodes.push(h('div', { class: 'msg system', role: 'alert' }, `${t.failed}: ${why}`))
  log.replaceChildren(...nodes)
  if (atBottom) log.scrollTop = log.scrollHeight
  badge.hidden = unread === 0
  badge.textContent = String(unread)
  const askFirst = Boolean(welcome?.preChatForm) && !preChatDone && history.length === 0 && conn.queue.length === 0
  prechat.hidden = !askFirst
  composer.hidden = askFirst
}

function buildPrechat() {
  const field = (name: string, label: string, type: string, required: boolean) =>
    h('label', {}, label, h('input', { name, type, autocomplete: name === 'topic' ? 'off' : name, ...(required && { required: '' }), maxlength: '200' }))
  prechat.append(h('p', {}, t.preChatIntro), field('name', t.name, 'text', false), field('email', t.email, 'email', true), field('topic', t.topic, 'text', false), h('button', { class: 'send', type: 'submit' }, t.startChat))
  prechat.addEventListener('submit', (e) => {
    e.preventDefault()
    const data = new FormData(prechat)
    const value = (k: string) => String(data.get(k) ?? '').trim() || undefined
    conn.raw({ type: 'prechat', name: value('name'), email: value('email'), topic: value('topic') })
  })
}

function markRead() {
  const last = history[history.length - 1]
  if (last && !panel.hidden) conn.raw({ type: 'read', upTo: last.createdAt })
}

function setOpen(open: boolean) {
  panel.hidden = !open
  launcher.setAttribute('aria-expanded', String(open))
  launcher.setAttribute('aria-label', open ? t.closeChat : t.openChat)
  launcher.classList.toggle('is-open', open)
  if (open) {
    unread = 0
    render()
    markRead()
    ;(prechat.hidden ? textarea : (prechat.querySelector('input') ?? textarea)).focus()
  } else launcher.focus()
}

function submit() {
  const text = textarea.value.trim()
  if (!text) return
  textarea.value = ''
  conn.sendMessage(text)
  conn.raw({ type: 'typing', typing: false })
  lastTypingSent = 0
  render()
  log.scrollTop = log.scrollHeight
}

async function upload(file: File) {
  const limits = welcome?.limits
  const fail = (why: string) => {
    failures.set(newClientId(), why)
    render()
  }
  if (limits && file.size > limits.maxFileBytes) return fail(fill(t.fileTooBig, { limit: `${Math.round(limits.maxFileBytes / 1024)} KB` }))
  const type = file.type || 'application/octet-stream'
  if (limits && !limits.allowedTypes.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))))) return fail(t.fileType)
  const clientId = newClientId()
  const res = await fetch(`${serverOrigin}/chat/attachments?inboxId=${encodeURIComponent(inboxId)}`, {
    method: 'POST',
    body: file,
    headers: { 'content-type': type, 'x-visitor-token': conn.token ?? '', 'x-client-id': clientId, 'x-filename': encodeURIComponent(file.name) },
  }).catch(() => null)
  if (!res) return fail(t.reconnecting)
  const body = (await res.json().catch(() => ({}))) as { message?: MessageView; error?: { message: string } }
  if (res.ok && body.message) onFrame({ type: 'message', message: body.message })
  else {
    failures.set(clientId, body.error?.message ?? String(res.status))
    render()
  }
}

launcher.addEventListener('click', () => setOpen(panel.hidden))
closeButton.addEventListener('click', () => setOpen(false))
panel.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') setOpen(false)
})
composer.addEventListener('submit', (e) => {
  e.preventDefault()
  submit()
})
textarea.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault()
    submit()
  }
})
textarea.addEventListener('input', () => {
  const now = Date.now()
  if (now - lastTypingSent > 2000 && textarea.value) {
    lastTypingSent = now
    conn.raw({ type: 'typing', typing: true })
  }
  if (stopTypingTimer !== null) clearTimeout(stopTypingTimer)
  stopTypingTimer = window.setTimeout(() => {
    lastTypingSent = 0
    conn.raw({ type: 'typing', typing: false })
  }, 3000)
})
attachButton.addEventListener('click', () => fileInput.click())
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0]
  fileInput.value = ''
  if (file) void upload(file)
})
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) markRead()
})

buildPrechat()
render()

type Api = { identify(identity: Identity): void; reset(): void; open(): void; close(): void; q?: unknown[][] }
const existing = (window as unknown as { Omnidesk?: Api }).Omnidesk
const api: Api = {
  identify(identity) {
    if (!identity || typeof identity.id !== 'string') return
    pendingIdentity = { id: identity.id, ...(identity.email && { email: identity.email }), ...(identity.name && { name: identity.name }), ...(identity.hash && { hash: identity.hash }) }
    conn.raw({ type: 'identify', ...pendingIdentity })
  },
  /** Call when the user signs out on the host site: this browser becomes a new, anonymous visitor. */
  reset() {
    pendingIdentity = null
    history = []
    failures.clear()
    seenAt = null
    render()
    conn.reset()
  },
  open: () => setOpen(true),
  close: () => setOpen(false),
}
;(window as unknown as { Omnidesk: Api }).Omnidesk = api
// Calls made before the script loaded (the snippet's stub queues them as [method, ...args]).
for (const call of existing?.q ?? []) {
  const [method, ...args] = call as [keyof Api, ...unknown[]]
  const fn = api[method]
  if (typeof fn === 'function') (fn as (...a: unknown[]) => void)(...args)
}

function mount() {
  document.body.append(host)
  conn.start()
}
if (document.body) mount()
else document.addEventListener('DOMContentLoaded', mount)

export type { Queued }
