import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, forwardRef, useId, useImperativeHandle, useRef, useState } from 'react'
import { api, type Contact, type Conversation, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { realtime } from '../../realtime/realtime'
import { useUsers } from '../../api/lookups'
import { shortcutSource, useCannedReplies } from '../canned-replies/canned.data'
import { CannedPicker } from '../canned-replies/CannedPicker'
import { mentionSource } from './mentions'
import { SuggestList, useSuggestBox } from './SuggestBox'
import { timelineKey } from './Timeline'

/** At most one "typing" frame per this interval (the server shows typing for 6 s after each). */
const TYPING_EVERY_MS = 2000

export interface ComposerHandle {
  focus(mode: 'reply' | 'note'): void
}

/** The reply box: replies on the case's channel or another the contact has, or adds an internal note. */
export const Composer = forwardRef<ComposerHandle, { conversation: Conversation; contact: Contact | undefined }>(function Composer({ conversation, contact }, ref) {
  const t = useT()
  const qc = useQueryClient()
  const [text, setText] = useState('')
  const [note, setNote] = useState(false)
  const [channel, setChannel] = useState(conversation.channel)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [picking, setPicking] = useState(false)
  const [missing, setMissing] = useState<string[]>([])
  const box = useRef<HTMLTextAreaElement>(null)
  const lastTyping = useRef(0)
  const errorId = useId()
  const missingId = useId()
  const users = useUsers().data?.items ?? []
  const replies = useCannedReplies().data?.items ?? []
  const mentions = useSuggestBox(box, setText, mentionSource(users), note)
  const shortcuts = useSuggestBox(box, setText, shortcutSource(replies, conversation.id, setMissing), true)
  const suggest = mentions.open ? mentions : shortcuts

  function edit(value: string) {
    setText(value)
    const now = Date.now()
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now
      realtime.typing(conversation.id)
    }
  }

  /** Puts a filled-in canned reply at the caret (replacing a selection), for the agent to edit. */
  function insert(snippet: string, vars: string[]) {
    const el = box.current
    const start = el?.selectionStart ?? text.length
    const end = el?.selectionEnd ?? text.length
    const next = text.slice(0, start) + snippet + text.slice(end)
    setText(next)
    setMissing(vars)
    setPicking(false)
    requestAnimationFrame(() => {
      el?.focus()
      el?.setSelectionRange(start + snippet.length, start + snippet.length)
    })
  }
  useImperativeHandle(ref, () => ({
    focus(mode) {
      setNote(mode === 'note')
      box.current?.focus()
    },
  }))
  // The server says which channels reach this contact now, through which inbox, and what would
  // stop a reply (an inbox down, WhatsApp's closed window): the same choice POST …/messages makes.
  const replyChannels = useQuery({
    // Asked again when the contact's identities change (a merge, a new address).
    queryKey: ['reply-channels', conversation.id, (contact?.identities ?? []).map((i) => `${i.kind}:${i.value}`).join(' ')],
    queryFn: () => unwrap(api.GET('/api/v1/conversations/{id}/reply-channels', { params: { path: { id: conversation.id } } })),
  })
  const choices = (replyChannels.data?.items ?? []).filter((c) => c.available || c.current)
  const channels = choices.length > 0 ? choices : [{ channel: conversation.channel, identity: null, blocked: null, available: true, current: true }]
  const chosen = channels.find((c) => c.channel === channel)

  async function send(e: FormEvent) {
    e.preventDefault()
    if (!text.trim()) return
    setBusy(true)
    setError(null)
    try {
      await unwrap(
        api.POST('/api/v1/conversations/{id}/messages', {
          params: { path: { id: conversation.id } },
          body: { text, ...(note ? { private: true } : channel !== conversation.channel && { channel: channel as 'email' }) },
        }),
      )
      setText('')
      setMissing([])
      await qc.invalidateQueries({ queryKey: timelineKey(conversation.id) })
      await qc.invalidateQueries({ queryKey: ['conversation', conversation.id] })
      await qc.invalidateQueries({ queryKey: ['reply-channels', conversation.id] })
    } catch (err) {
      setError(errorText(t, err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className={`composer card${note ? ' note' : ''}`} onSubmit={send}>
      <div className="composer-head">
        <label className="toggle">
          <input type="checkbox" checked={note} onChange={(e) => setNote(e.target.checked)} />
          {t('composer.note')}
        </label>
        <button type="button" aria-expanded={picking} onClick={() => setPicking((p) => !p)}>
          {t('canned.open')}
        </button>
        {!note && (
          <label>
            {t('composer.channel')}
            <select value={channel} onChange={(e) => setChannel(e.target.value)}>
              {channels.map((c) => (
                <option key={c.channel} value={c.channel}>
                  {t(`channels.${c.channel}`, { defaultValue: c.channel })}
                  {c.identity ? ` · ${c.identity.value}` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        {!note && chosen?.blocked && (
          <p role="status" className="meta composer-blocked">
            {chosen.blocked.message}
          </p>
        )}
      </div>
      {picking && (
        <CannedPicker
          conversationId={conversation.id}
          onInsert={insert}
          onClose={() => {
            setPicking(false)
            box.current?.focus()
          }}
        />
      )}
      <label className="stacked">
        {t('composer.reply')}
        <textarea
          ref={box}
          rows={4}
          value={text}
          onChange={(e) => {
            edit(e.target.value)
            mentions.update(e.target.value, e.target.selectionStart)
            shortcuts.update(e.target.value, e.target.selectionStart)
          }}
          onKeyDown={suggest.onKeyDown}
          onBlur={() => {
            mentions.close()
            shortcuts.close()
          }}
          aria-autocomplete="list"
          {...suggest.textboxProps}
          aria-describedby={[error && errorId, missing.length > 0 && missingId].filter(Boolean).join(' ') || undefined}
          placeholder={note ? t('composer.notePlaceholder') : t('composer.replyPlaceholder')}
        />
      </label>
      <SuggestList
        state={mentions}
        label={t('caseTools.mentions')}
        render={(u) => (
          <>
            {u.name} <span className="meta">{u.email}</span>
          </>
        )}
      />
      <SuggestList
        state={shortcuts}
        label={t('canned.list')}
        render={(r) => (
          <>
            /{r.shortcut} <span className="meta">{r.name}</span>
          </>
        )}
      />
      {missing.length > 0 && (
        <p id={missingId} className="warning-text">
          {t('canned.missing', { vars: missing.map((v) => `{{${v}}}`).join(', ') })}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || !text.trim()}>
        {t('composer.send')}
      </button>
    </form>
  )
})
