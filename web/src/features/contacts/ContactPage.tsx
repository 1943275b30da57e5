import { useParams } from 'react-router'
import { useT } from '../../i18n'
import { CustomerPanel } from './CustomerPanel'

export function ContactPage() {
  const { id = '' } = useParams()
  const t = useT()
  return (
    <main id="main" className="page contact">
      <h1 className="visually-hidden">{t('contact.title')}</h1>
      <CustomerPanel contactId={id} />
    </main>
  )
}
