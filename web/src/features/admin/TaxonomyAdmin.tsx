import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { AdminPage, QueryState } from './admin.shared'

const fieldTypes = ['text', 'number', 'boolean', 'date', 'select'] as const

/** Categories, tags, custom fields and the required-field rules, on one screen. */
export function TaxonomyAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const refresh = () => void qc.invalidateQueries({ queryKey: ['admin', 'taxonomy'] })
  const categories = useQuery({ queryKey: ['admin', 'taxonomy', 'categories'], queryFn: () => unwrap(api.GET('/api/v1/categories')) })
  const tags = useQuery({ queryKey: ['admin', 'taxonomy', 'tags'], queryFn: () => unwrap(api.GET('/api/v1/tags', { params: { query: { limit: 100 } } })) })
  const fields = useQuery({ queryKey: ['admin', 'taxonomy', 'fields'], queryFn: () => unwrap(api.GET('/api/v1/custom-fields')) })
  const reqs = useQuery({ queryKey: ['admin', 'taxonomy', 'reqs'], queryFn: () => unwrap(api.GET('/api/v1/settings/case-requirements')) })

  const [cat, setCat] = useState({ name: '', parentId: '' })
  const [tag, setTag] = useState('')
  const [field, setField] = useState({ key: '', label: '', type: 'text' as (typeof fieldTypes)[number], options: '' })
  const [rules, setRules] = useState<{ solve: string; transfer: string } | null>(null)
  const shownRules = rules ?? (reqs.data ? { solve: reqs.data.solve.join('\n'), transfer: reqs.data.transfer.join('\n') } : null)

  const addCategory = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/categories', { body: { name: cat.name, ...(cat.parentId && { parentId: cat.parentId }) } })),
    onSuccess: () => { setCat({ name: '', parentId: '' }); refresh() },
  })
  const addTag = useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/tags', { body: { name: tag } })), onSuccess: () => { setTag(''); refresh() } })
  const addField = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/custom-fields', { body: { key: field.key, label: field.label, type: field.type, ...(field.type === 'select' && { options: field.options.split(',').map((s) => s.trim()).filter(Boolean) }) } })),
    onSuccess: () => { setField({ key: '', label: '', type: 'text', options: '' }); refresh() },
  })
  const lines = (s: string) => s.split('\n').map((x) => x.trim()).filter(Boolean)
  const saveRules = useMutation({
    mutationFn: () => unwrap(api.PUT('/api/v1/settings/case-requirements', { body: { solve: lines(shownRules?.solve ?? ''), transfer: lines(shownRules?.transfer ?? '') } as never })),
    onSuccess: () => { setRules(null); refresh() },
  })

  return (
    <AdminPage title={t('admin.taxonomy.title')}>
      <div className="admin-grid">
        <section className="card" aria-labelledby="cat-h">
          <h2 id="cat-h">{t('admin.taxonomy.categories')}</h2>
          <QueryState error={categories.error} pending={categories.isPending} />
          <ul className="plain-list">{categories.data?.items.map((c) => <li key={c.id}>{c.path.join(' › ')}</li>)}</ul>
          <form className="admin-form" onSubmit={(e) => { e.preventDefault(); addCategory.mutate() }}>
            <label>{t('admin.common.name')}<input required value={cat.name} onChange={(e) => setCat({ ...cat, name: e.target.value })} /></label>
            <label>
              {t('admin.taxonomy.parent')}
              <select value={cat.parentId} onChange={(e) => setCat({ ...cat, parentId: e.target.value })}>
                <option value="">{t('admin.taxonomy.topLevel')}</option>
                {categories.data?.items.map((c) => <option key={c.id} value={c.id}>{c.path.join(' › ')}</option>)}
              </select>
            </label>
            <button type="submit">{t('admin.common.create')}</button>
          </form>
          {addCategory.isError && <p role="alert" className="error">{errorText(t, addCategory.error)}</p>}
        </section>
        <section className="card" aria-labelledby="tag-h">
          <h2 id="tag-h">{t('admin.taxonomy.tags')}</h2>
          <QueryState error={tags.error} pending={tags.isPending} />
          <ul className="plain-list">{tags.data?.items.map((x) => <li key={x.name}>{x.name}</li>)}</ul>
          <form className="admin-form" onSubmit={(e) => { e.preventDefault(); addTag.mutate() }}>
            <label>{t('admin.taxonomy.tagName')}<input required value={tag} onChange={(e) => setTag(e.target.value)} /></label>
            <button type="submit">{t('admin.common.create')}</button>
          </form>
          {addTag.isError && <p role="alert" className="error">{errorText(t, addTag.error)}</p>}
        </section>
        <section className="card" aria-labelledby="field-h">
          <h2 id="field-h">{t('admin.taxonomy.fields')}</h2>
          <QueryState error={fields.error} pending={fields.isPending} />
          <ul className="plain-list">{fields.data?.items.map((f) => <li key={f.id}>{f.label} <code>{f.key}</code> <span className="meta">{f.type}{f.options.length ? `: ${f.options.join(', ')}` : ''}</span></li>)}</ul>
          <form className="admin-form" onSubmit={(e) => { e.preventDefault(); addField.mutate() }}>
            <label>{t('admin.taxonomy.key')}<input required pattern="[a-z][a-z0-9_]*" value={field.key} onChange={(e) => setField({ ...field, key: e.target.value })} /></label>
            <label>{t('admin.taxonomy.label')}<input required value={field.label} onChange={(e) => setField({ ...field, label: e.target.value })} /></label>
            <label>
              {t('admin.taxonomy.type')}
              <select value={field.type} onChange={(e) => setField({ ...field, type: e.target.value as typeof field.type })}>
                {fieldTypes.map((x) => <option key={x} value={x}>{x}</option>)}
              </select>
            </label>
            {field.type === 'select' && <label>{t('admin.taxonomy.options')}<input required value={field.options} onChange={(e) => setField({ ...field, options: e.target.value })} /></label>}
            <button type="submit">{t('admin.common.create')}</button>
          </form>
          {addField.isError && <p role="alert" className="error">{errorText(t, addField.error)}</p>}
        </section>
        <section className="card" aria-labelledby="req-h">
          <h2 id="req-h">{t('admin.taxonomy.requirements')}</h2>
          <QueryState error={reqs.error} pending={reqs.isPending} />
          {shownRules && (
            <form className="admin-form column" onSubmit={(e) => { e.preventDefault(); saveRules.mutate() }}>
              <p className="meta">{t('admin.taxonomy.requirementsHelp')}</p>
              <label>{t('admin.taxonomy.solve')}<textarea rows={3} value={shownRules.solve} onChange={(e) => setRules({ ...shownRules, solve: e.target.value })} /></label>
              <label>{t('admin.taxonomy.transfer')}<textarea rows={3} value={shownRules.transfer} onChange={(e) => setRules({ ...shownRules, transfer: e.target.value })} /></label>
              {saveRules.isError && <p role="alert" className="error">{errorText(t, saveRules.error)}</p>}
              {saveRules.isSuccess && !rules && <p role="status">{t('admin.common.saved')}</p>}
              <button type="submit">{t('common.save')}</button>
            </form>
          )}
        </section>
      </div>
    </AdminPage>
  )
}
