import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, forwardRef, useId, useImperativeHandle, useRef, useState } from 'react'
import { api, type Contact, type Conversation, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { timelineKey } from './Timeline'

/** Channels an identity kind can be written to. */
const channelsOfKind: Record<string, string[]> = {
  email: ['email'],
  phone: ['sms', 'voice'],
  whatsapp: ['whatsapp'],
  messenger: ['messenger'],
  instagram: ['instagram'],
  telegram: ['telegram'],
  widget: ['chat'],
}

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
  const box = useRef<HTMLTextAreaElement>(null)
  const errorId = useId()
  useImperativeHandle(ref, () => ({
    focus(mode) {
      setNote(mode === 'note')
      box.current?.focus()
    },
  }))
  const channels = [...new Set([conversation.channel, ...(contact?.identities ?? []).flatMap((i) => channelsOfKind[i.kind] ?? [])])]

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
      await qc.invalidateQueries({ queryKey: timelineKey(conversation.id) })
      await qc.invalidateQueries({ queryKey: ['conversation', conversation.id] })
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
        {!note && (
          <label>
            {t('composer.channel')}
            <select value={channel} onChange={(e) => setChannel(e.target.value)}>
              {channels.map((c) => (
                <option key={c} value={c}>
                  {t(`channels.${c}`, { defaultValue: c })}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <label className="stacked">
        {t('composer.reply')}
        <textarea
          ref={box}
          rows={4}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-describedby={error ? errorId : undefined}
          placeholder={note ? t('composer.notePlaceholder') : t('composer.replyPlaceholder')}
        />
      </label>
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
