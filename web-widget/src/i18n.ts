/** The widget's words, per locale. Chosen from navigator.languages; English when none matches. */
const catalogues = {
  en: {
    openChat: 'Open chat',
    closeChat: 'Close chat',
    message: 'Message',
    send: 'Send',
    attach: 'Attach a file',
    placeholder: 'Write a message…',
    connecting: 'Connecting…',
    reconnecting: 'Connection lost. Reconnecting… Your messages will be sent when it is back.',
    queued: 'Waiting to send',
    failed: 'Not sent',
    seen: 'Seen',
    typing: '{name} is typing…',
    away: 'We are away right now; leave a message and we will answer by email.',
    you: 'You',
    support: 'Support',
    name: 'Name',
    email: 'Email',
    topic: 'Topic',
    startChat: 'Start chat',
    preChatIntro: 'Tell us who you are, so we can answer even if you leave.',
    fileTooBig: 'This file is too large (limit {limit}).',
    fileType: 'This type of file cannot be sent.',
    tooMany: 'You are sending messages too fast; we will retry in a moment.',
    conversation: 'Conversation',
    unavailable: 'The chat is unavailable.',
  },
  fr: {
    openChat: 'Ouvrir le chat',
    closeChat: 'Fermer le chat',
    message: 'Message',
    send: 'Envoyer',
    attach: 'Joindre un fichier',
    placeholder: 'Écrivez un message…',
    connecting: 'Connexion…',
    reconnecting: 'Connexion perdue. Reconnexion… Vos messages partiront dès son retour.',
    queued: 'En attente d’envoi',
    failed: 'Non envoyé',
    seen: 'Lu',
    typing: '{name} écrit…',
    away: 'Nous sommes absents ; laissez un message, nous répondrons par e-mail.',
    you: 'Vous',
    support: 'Support',
    name: 'Nom',
    email: 'E-mail',
    topic: 'Sujet',
    startChat: 'Démarrer',
    preChatIntro: 'Dites-nous qui vous êtes, pour pouvoir vous répondre même si vous partez.',
    fileTooBig: 'Ce fichier est trop volumineux (limite {limit}).',
    fileType: 'Ce type de fichier ne peut pas être envoyé.',
    tooMany: 'Vous envoyez trop vite ; nouvel essai dans un instant.',
    conversation: 'Conversation',
    unavailable: 'Le chat est indisponible.',
  },
  de: {
    openChat: 'Chat öffnen',
    closeChat: 'Chat schließen',
    message: 'Nachricht',
    send: 'Senden',
    attach: 'Datei anhängen',
    placeholder: 'Nachricht schreiben…',
    connecting: 'Verbinden…',
    reconnecting: 'Verbindung unterbrochen. Neuer Versuch… Ihre Nachrichten werden danach gesendet.',
    queued: 'Wartet auf Versand',
    failed: 'Nicht gesendet',
    seen: 'Gelesen',
    typing: '{name} schreibt…',
    away: 'Wir sind gerade nicht da; hinterlassen Sie eine Nachricht, wir antworten per E-Mail.',
    you: 'Sie',
    support: 'Support',
    name: 'Name',
    email: 'E-Mail',
    topic: 'Thema',
    startChat: 'Chat starten',
    preChatIntro: 'Sagen Sie uns, wer Sie sind, damit wir auch antworten können, wenn Sie gehen.',
    fileTooBig: 'Diese Datei ist zu groß (Grenze {limit}).',
    fileType: 'Dieser Dateityp kann nicht gesendet werden.',
    tooMany: 'Sie senden zu schnell; gleich neuer Versuch.',
    conversation: 'Unterhaltung',
    unavailable: 'Der Chat ist nicht verfügbar.',
  },
} as const

export type Words = { [K in keyof (typeof catalogues)['en']]: string }
export type Locale = keyof typeof catalogues

export function pickLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0] as Locale
    if (base in catalogues) return base
  }
  return 'en'
}

export const wordsFor = (locale: Locale): Words => catalogues[locale]

export const fill = (s: string, vars: Record<string, string>) => s.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '')
