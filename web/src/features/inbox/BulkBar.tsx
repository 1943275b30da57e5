import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, type ConversationPatch, unwrap } from '../../api/client'
import { useUsers } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { statuses } from './FilterBar'
import { upsertConversation } from './inbox.data'

/** Assign, tag or change the status of the selected cases; failures are listed per case in words. */
export function BulkBar({ selected, onDone }: { selected: Set<string>; onDone: () => void }) {
  const t = useT()
  const qc = useQueryClient()
  const users = useUsers()
  const [assignee, setAssignee] = useState('')
  const [status, setStatus] = useState('')
  const [tag, setTag] = useState('')
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<string[]>([])
  if (selected.size === 0) return null

  async function run(action: (id: string) => Promise<unknown>) {
    setBusy(true)
    setErrors([])
    const ids = [...selected]
    const failed: string[] = []
    // A few at a time: the server handles them in parallel, the browser keeps its connections for the rest.
    for (let i = 0; i < ids.length; i += 6) {
      await Promise.all(
        ids.slice(i, i + 6).map(async (id) => {
          try {
            await action(id)
          } catch (err) {
            failed.push(errorText(t, err))
          }
        }),
      )
    }
    setBusy(false)
    setErrors(failed)
    if (failed.length === 0) onDone()
  }
  const patch = (body: ConversationPatch) => (id: string) =>
    unwrap(api.PATCH('/api/v1/conversations/{id}', { params: { path: { id } }, body })).then((c) => upsertConversation(qc, c))
  const addTag = (id: string) => unwrap(api.POST('/api/v1/conversations/{id}/tags', { params: { path: { id } }, body: { tags: [tag] } })).then((c) => upsertConversation(qc, c))

  return (
    <section className="bulk-bar" aria-label={t('inbox.bulk.label')}>
      <span>{t('inbox.bulk.selected', { count: selected.size })}</span>
      <label>
        {t('inbox.bulk.assignTo')}
        <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
          <option value="">—</option>
          <option value="none">{t('inbox.unassigned')}</option>
          {(users.data?.items ?? []).filter((u) => u.active && u.role !== 'auditor').map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
      </label>
      <button type="button" disabled={busy || !assignee} onClick={() => void run(patch({ assigneeId: assignee === 'none' ? null : assignee }))}>
        {t('inbox.bulk.assign')}
      </button>
      <label>
        {t('inbox.bulk.status')}
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">—</option>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" disabled={busy || !status} onClick={() => void run(patch({ status: status as ConversationPatch['status'] }))}>
        {t('inbox.bulk.setStatus')}
      </button>
      <label>
        {t('inbox.bulk.tag')}
        <input type="text" value={tag} onChange={(e) => setTag(e.target.value)} />
      </label>
      <button type="button" disabled={busy || !tag.trim()} onClick={() => void run(addTag)}>
        {t('inbox.bulk.addTag')}
      </button>
      {errors.length > 0 && (
        <div role="alert" className="error">
          <p>{t('inbox.bulk.failed', { count: errors.length })}</p>
          <ul>
            {[...new Set(errors)].map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  )
}
