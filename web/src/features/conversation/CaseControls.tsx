import { useEffect, useRef, useState } from 'react'
import { ApiError, type Conversation, type ConversationPatch } from '../../api/client'
import { useCategories, useTeams, useUsers } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { useMe } from '../auth/session'
import { priorities, statuses } from '../inbox/FilterBar'
import { usePatchCase } from './case.mutations'
import { CustomFields } from './CustomFields'
import { RequiredFields } from './RequiredFields'

/** Status, priority, category, tags, assignee and team of a case; each change is saved at once. */
export function CaseControls({ c, solveRequest, onSolveHandled }: { c: Conversation; solveRequest: number; onSolveHandled: () => void }) {
  const t = useT()
  const { me } = useMe()
  const users = useUsers()
  const teams = useTeams()
  const categories = useCategories()
  const patch = usePatchCase(c.id)
  const [error, setError] = useState<{ field: string; text: string } | null>(null)
  const [missing, setMissing] = useState<string[] | null>(null)
  const [tag, setTag] = useState('')
  const [pending, setPending] = useState<ConversationPatch | null>(null)

  const save = (field: string, body: ConversationPatch) => {
    setError(null)
    patch.mutate(body, {
      onError: (err) => {
        if (err instanceof ApiError && err.code === 'REQUIRED_FIELDS_MISSING') {
          const list = (err.details as { missing?: string[] } | undefined)?.missing ?? []
          setMissing(list)
          setPending(body)
        }
        setError({ field, text: errorText(t, err) })
      },
      onSuccess: () => setMissing(null),
    })
  }
  const solve = () => save('status', { status: 'solved' })
  // The `s` shortcut in the case view asks for a solve by bumping this counter.
  const seen = useRef(solveRequest)
  useEffect(() => {
    if (seen.current === solveRequest) return
    seen.current = solveRequest
    if (c.status !== 'solved' && c.status !== 'closed') solve()
    onSolveHandled()
  })

  const err = (field: string) =>
    error?.field === field ? (
      <p role="alert" className="error" id={`err-${field}`}>
        {error.text}
      </p>
    ) : null
  const described = (field: string) => (error?.field === field ? `err-${field}` : undefined)

  return (
    <section className="case-controls card" aria-label={t('case.controls')}>
      <label>
        {t('case.status')}
        <select value={c.status} onChange={(e) => save('status', { status: e.target.value as Conversation['status'] })} aria-describedby={described('status')}>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {c.status !== 'solved' && c.status !== 'closed' && (
        <button type="button" className="primary" onClick={solve}>
          {t('case.solve')}
        </button>
      )}
      {err('status')}
      {missing && missing.length > 0 && (
        <RequiredFields
          missing={missing}
          c={c}
          onSubmit={(values) => save('status', { ...(pending ?? { status: 'solved' }), ...values })}
          errors={error?.field === 'status' && patch.error instanceof ApiError ? patch.error.fields : []}
        />
      )}
      <label>
        {t('case.priority')}
        <select value={c.priority} onChange={(e) => save('priority', { priority: e.target.value as Conversation['priority'] })} aria-describedby={described('priority')}>
          {priorities.map((s) => (
            <option key={s} value={s}>
              {t(`priority.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {err('priority')}
      <label>
        {t('case.assignee')}
        <select value={c.assigneeId ?? ''} onChange={(e) => save('assignee', { assigneeId: e.target.value || null })} aria-describedby={described('assignee')}>
          <option value="">{t('inbox.unassigned')}</option>
          {(users.data?.items ?? [])
            .filter((u) => (u.active && u.role !== 'auditor') || u.id === c.assigneeId)
            .map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
        </select>
      </label>
      {c.assigneeId !== me.userId && (
        <button type="button" onClick={() => save('assignee', { assigneeId: me.userId })}>
          {t('case.assignMe')}
        </button>
      )}
      {err('assignee')}
      <label>
        {t('case.team')}
        <select value={c.teamId ?? ''} onChange={(e) => save('team', { teamId: e.target.value || null })} aria-describedby={described('team')}>
          <option value="">{t('common.none')}</option>
          {(teams.data?.items ?? []).map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
      </label>
      {err('team')}
      <label>
        {t('case.category')}
        <select value={c.categoryId ?? ''} onChange={(e) => save('category', { categoryId: e.target.value || null })} aria-describedby={described('category')}>
          <option value="">{t('common.none')}</option>
          {(categories.data?.items ?? []).map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
      </label>
      {err('category')}
      <div className="tags" role="group" aria-label={t('case.tags')}>
        <span>{t('case.tags')}</span>
        <ul className="chips">
          {c.tags.map((x) => (
            <li key={x}>
              {x}{' '}
              <button type="button" aria-label={t('case.removeTag', { tag: x })} onClick={() => save('tags', { tags: c.tags.filter((y) => y !== x) })}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <form
          onSubmit={(e) => {
            e.preventDefault()
            if (tag.trim()) save('tags', { tags: [...c.tags, tag.trim()] })
            setTag('')
          }}
        >
          <label>
            {t('case.addTag')}
            <input type="text" value={tag} onChange={(e) => setTag(e.target.value)} aria-describedby={described('tags')} />
          </label>
        </form>
      </div>
      {err('tags')}
      <CustomFields c={c} />
    </section>
  )
}
