import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, type Team, type User, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { AdminPage, QueryState } from './admin.shared'

/** Teams and their members: create a team; add or remove one member at a time. */
export function TeamsAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const teams = useQuery({ queryKey: ['admin', 'teams'], queryFn: () => unwrap(api.GET('/api/v1/teams')) })
  const users = useQuery({ queryKey: ['admin', 'users'], queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { limit: 100 } } })) })
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/teams', { body: { name, ...(description && { description }) } })),
    onSuccess: () => {
      setName('')
      setDescription('')
      void qc.invalidateQueries({ queryKey: ['admin', 'teams'] })
    },
  })
  return (
    <AdminPage title={t('admin.teams.title')}>
      <form className="admin-form card" onSubmit={(e) => { e.preventDefault(); create.mutate() }}>
        <label>{t('admin.common.name')}<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>{t('admin.teams.description')}<input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        <button type="submit" disabled={create.isPending}>{t('admin.teams.add')}</button>
        {create.isError && <p role="alert" className="error">{errorText(t, create.error)}</p>}
      </form>
      <QueryState error={teams.error ?? users.error} pending={teams.isPending} />
      <div className="admin-grid">
        {teams.data?.items.map((team) => <TeamCard key={team.id} team={team} users={users.data?.items ?? []} />)}
      </div>
    </AdminPage>
  )
}

function TeamCard({ team, users }: { team: Team; users: User[] }) {
  const t = useT()
  const qc = useQueryClient()
  const [pick, setPick] = useState('')
  const byId = new Map(users.map((u) => [u.id, u] as const))
  const candidates = users.filter((u) => u.active && u.role !== 'auditor' && !team.memberIds.includes(u.id))
  const change = useMutation({
    mutationFn: (v: { userId: string; add: boolean }) =>
      v.add
        ? unwrap(api.POST('/api/v1/teams/{id}/members', { params: { path: { id: team.id } }, body: { userId: v.userId } }))
        : unwrap(api.DELETE('/api/v1/teams/{id}/members/{userId}', { params: { path: { id: team.id, userId: v.userId } } })),
    onSuccess: () => {
      setPick('')
      void qc.invalidateQueries({ queryKey: ['admin', 'teams'] })
      void qc.invalidateQueries({ queryKey: ['teams'] })
    },
  })
  const headingId = `team-${team.id}`
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{team.name}</h2>
      {team.description && <p className="meta">{team.description}</p>}
      <h3>{t('admin.teams.members')}</h3>
      {team.memberIds.length === 0 && <p className="meta">{t('admin.teams.noMembers')}</p>}
      <ul className="plain-list" aria-label={t('admin.teams.membersOf', { team: team.name })}>
        {team.memberIds.map((id) => {
          const name = byId.get(id)?.name ?? id
          return (
            <li key={id}>
              {name}{' '}
              <button type="button" disabled={change.isPending} onClick={() => change.mutate({ userId: id, add: false })}>
                {t('admin.teams.remove', { name, team: team.name })}
              </button>
            </li>
          )
        })}
      </ul>
      <form className="admin-form" onSubmit={(e) => { e.preventDefault(); if (pick) change.mutate({ userId: pick, add: true }) }}>
        <label>
          {t('admin.teams.addMemberTo', { team: team.name })}
          <select value={pick} onChange={(e) => setPick(e.target.value)} required>
            <option value="">—</option>
            {candidates.map((u) => <option key={u.id} value={u.id}>{u.name} ({u.role})</option>)}
          </select>
        </label>
        <button type="submit" disabled={change.isPending || !pick}>{t('admin.teams.addMember')}</button>
      </form>
      {change.isError && <p role="alert" className="error">{errorText(t, change.error)}</p>}
    </section>
  )
}
