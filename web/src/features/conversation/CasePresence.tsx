import { useT } from '../../i18n'
import './case-tools.css'
import { useCasePresence } from '../../realtime/hooks'
import { useMe } from '../auth/session'

/** Collision detection: who else has this case open, and who is typing, live. */
export function CasePresence({ conversationId }: { conversationId: string }) {
  const t = useT()
  const { me } = useMe()
  const others = useCasePresence(conversationId).filter((u) => u.userId !== me.userId)
  return (
    <div role="status" aria-label={t('caseTools.presence')} className="presence">
      {others.map((u) => (
        <span key={u.userId} className={`presence-user${u.typing ? ' typing' : ''}`}>
          {t(u.typing ? 'caseTools.typing' : 'caseTools.viewing', { name: u.name })}
        </span>
      ))}
    </div>
  )
}
