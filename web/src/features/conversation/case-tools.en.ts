/** English strings of the case view's collaboration tools (registered under `caseTools`). */
export const caseToolsEn = {
  presence: 'Also on this case',
  viewing: '{{name}} is viewing',
  typing: '{{name}} is typing…',
  mentions: 'Colleagues to mention',
}
