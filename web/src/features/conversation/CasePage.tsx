import { useRef, useState } from 'react'
import { useNavigate, useParams } from 'react-router'
import { caseTitle, contactLabel, useContact, useConversation } from '../../api/lookups'
import { neighbourCase } from '../../app/case-order'
import { errorText } from '../../app/errors'
import { useShortcuts } from '../../app/shortcuts'
import { useT } from '../../i18n'
import { useMe } from '../auth/session'
import { CustomerPanel } from '../contacts/CustomerPanel'
import { CaseControls } from './CaseControls'
import { CasePresence } from './CasePresence'
import { Composer, type ComposerHandle } from './Composer'
import { usePatchCase } from './case.mutations'
import { Timeline } from './Timeline'

/** One case: its timeline and composer, its controls, and the customer. */
export function CasePage() {
  const { id = '' } = useParams()
  const t = useT()
  const { me } = useMe()
  const navigate = useNavigate()
  const conversation = useConversation(id)
  const c = conversation.data
  const contact = useContact(c?.contactId)
  const composer = useRef<ComposerHandle>(null)
  const patch = usePatchCase(id)
  const [solveRequest, setSolveRequest] = useState(0)

  useShortcuts({
    j: () => {
      const next = neighbourCase(id, 1)
      if (next) navigate(`/cases/${next}`)
    },
    k: () => {
      const prev = neighbourCase(id, -1)
      if (prev) navigate(`/cases/${prev}`)
    },
    r: () => composer.current?.focus('reply'),
    n: () => composer.current?.focus('note'),
    a: () => c && c.assigneeId !== me.userId && patch.mutate({ assigneeId: me.userId }),
    s: () => setSolveRequest((n) => n + 1),
  })

  if (conversation.isError)
    return (
      <main id="main" className="page">
        <p role="alert" className="error">
          {errorText(t, conversation.error)}
        </p>
      </main>
    )
  if (!c)
    return (
      <main id="main" className="page">
        <p role="status">{t('common.loading')}</p>
      </main>
    )
  return (
    <main id="main" className="page case">
      <div className="case-main">
        <div className="page-head">
          <h1>{caseTitle(c)}</h1>
          <span className="meta">
            #{c.number} · {t(`status.${c.status}`)} · {t(`channels.${c.channel}`, { defaultValue: c.channel })}
          </span>
        </div>
        <CasePresence conversationId={c.id} />
        {patch.isError && (
          <p role="alert" className="error">
            {errorText(t, patch.error)}
          </p>
        )}
        <Timeline conversationId={c.id} contactName={contactLabel(contact.data)} />
        <Composer key={c.id} ref={composer} conversation={c} contact={contact.data} />
      </div>
      <aside className="case-side">
        <CaseControls key={c.id} c={c} solveRequest={solveRequest} onSolveHandled={() => undefined} />
        <CustomerPanel contactId={c.contactId} currentCaseId={c.id} />
      </aside>
    </main>
  )
}
