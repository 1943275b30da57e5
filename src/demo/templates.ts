import type { Random } from './random.ts'

/** The demo's category tree: parent → children. Conversations use the children. */
export const categoryTree: Record<string, string[]> = {
  Billing: ['Refunds', 'Invoices', 'Payments', 'Subscriptions'],
  Orders: ['Shipping', 'Returns', 'Damaged items'],
  Account: ['Sign-in', 'Security', 'Profile'],
  Technical: ['Bug report', 'Integrations', 'Mobile app'],
  Product: ['Feature request', 'Feedback'],
}

/** Tags with the colours the demo gives them. */
export const tagColours: Record<string, string> = {
  refund: '#e67e22', invoice: '#2980b9', payment: '#8e44ad', shipping: '#16a085', 'late-delivery': '#d35400', return: '#27ae60',
  damaged: '#c0392b', login: '#34495e', '2fa': '#7f8c8d', bug: '#e74c3c', api: '#2c3e50', 'mobile-app': '#9b59b6',
  'feature-request': '#1abc9c', feedback: '#f1c40f', 'churn-risk': '#c0392b', upgrade: '#2ecc71', 'gdpr': '#95a5a6', urgent: '#b03a2e',
}

export type TemplateTeam = 'Billing' | 'Technical'

/**
 * One kind of customer request. Texts use {variables}: {first} (customer's
 * first name), {agent}, {order}, {amount}, {product}, {invoice}, {tracking},
 * {plan}, {device}, {date}, {days}, {feature}, {last4}, {city}.
 */
export interface Template {
  category: string
  team: TemplateTeam
  tags: string[]
  /** Relative weights of the priorities for this kind of request. */
  priority?: Partial<Record<'low' | 'normal' | 'high' | 'urgent', number>>
  subject: string
  body: string
  /** The customer writing again. */
  followUps: string[]
  /** Agent replies that fit this request. */
  replies: string[]
  notes: string[]
}

const t = (category: string, team: TemplateTeam, tags: string[], subject: string, body: string, replies: string[], followUps: string[], notes: string[], priority?: Template['priority']): Template => ({
  category, team, tags, subject, body, replies, followUps, notes, ...(priority && { priority }),
})

export const templates: Template[] = [
  t('Refunds', 'Billing', ['refund'], 'Refund for order {order}', 'Hi, I returned order {order} two weeks ago and still have not seen the refund of {amount}. Can you check where it is?',
    ['Hi {first}, I can see the return arrived on {date}. The refund of {amount} was issued today and should reach your card ending {last4} within 3–5 working days.', 'Thanks for your patience, {first}. I have pushed the refund through manually; you will get a confirmation email shortly.'],
    ['It has been five days and the refund is still not on my statement.', 'Got it, thank you!'], ['Return scanned at warehouse, refund was stuck in the payment queue.', 'Refund approved above the usual limit — supervisor OK given.']),
  t('Refunds', 'Billing', ['refund', 'churn-risk'], 'I want my money back', 'The {product} stopped working after a week. I would like a full refund of {amount}, not a replacement.',
    ['I am sorry the {product} let you down, {first}. I have started a full refund of {amount}; no need to send it back.', 'Understood. Could you send a photo of the serial number so I can process the refund?'],
    ['Here is the photo of the serial number.', 'Why do I have to send a photo? I already told you it is broken.'], ['Customer has had two faulty units this year — consider a goodwill voucher.']),
  t('Refunds', 'Billing', ['refund'], 'Charged twice for order {order}', 'My bank shows two charges of {amount} for order {order}. Please refund the duplicate.',
    ['Hi {first}, you are right: the payment provider captured twice. The duplicate charge has been voided and will disappear from your statement in a few days.'],
    ['The second charge is still pending on my account.', 'Thanks, I can see it has gone now.'], ['Duplicate capture from the payment gateway retry on {date}.']),
  t('Invoices', 'Billing', ['invoice'], 'Invoice {invoice} has the wrong company name', 'Hello, invoice {invoice} shows our old company name. Could you reissue it with the new name and VAT number?',
    ['Hi {first}, I have reissued invoice {invoice} with the updated details; you will find it in your account under Billing.', 'Could you send me the new VAT number so I can update the invoice?'],
    ['The VAT number is in the attachment of my first email.', 'Perfect, that is what we needed.'], ['Updated billing profile; future invoices use the new name.']),
  t('Invoices', 'Billing', ['invoice'], 'Where can I download my invoices?', 'I need the invoices for the last three months for our accountant. Where do I find them?',
    ['Hi {first}, all invoices are under Account → Billing → Invoices; each has a PDF download button. I have also emailed you the last three.'],
    ['Found them, thanks.', 'The download button does nothing in my browser.'], []),
  t('Payments', 'Billing', ['payment'], 'Card declined at checkout', 'My card keeps getting declined when I try to pay for order {order}, but it works everywhere else.',
    ['Hi {first}, the decline came from your bank’s 3-D Secure check. Could you try again and approve the request in your banking app?', 'I can see the attempts failed on the address check. Please make sure the billing address matches the one your bank has.'],
    ['Tried again and it went through this time.', 'Still declined, same message.'], ['Gateway logs show AVS mismatch on all three attempts.'], { high: 2, normal: 3 }),
  t('Payments', 'Billing', ['payment'], 'Can I pay by bank transfer?', 'We are a small business and would prefer to pay the annual {plan} plan by bank transfer. Is that possible?',
    ['Yes, {first}: for annual plans we accept bank transfer. I have sent you a pro-forma invoice with our bank details.'],
    ['Payment has been sent, reference {invoice}.'], ['Pro-forma issued; mark as paid when the transfer lands.'], { low: 3, normal: 2 }),
  t('Subscriptions', 'Billing', ['upgrade'], 'Upgrade to the {plan} plan', 'We are growing and want to move from Starter to {plan}. Do we pay the difference for the rest of the month?',
    ['Great news, {first}! Upgrades are prorated: you only pay the difference for the remaining {days} days. I have switched your account to {plan}.'],
    ['Thanks, the new features are showing up already.'], ['Upsell opportunity — they asked about seats for 20 more people.'], { low: 2, normal: 3 }),
  t('Subscriptions', 'Billing', ['churn-risk'], 'Cancel my subscription', 'Please cancel my subscription at the end of this billing period. It is too expensive for how little we use it.',
    ['I am sorry to see you go, {first}. Your subscription is set to end on {date}. Would a switch to the Starter plan at a lower price help instead?', 'Done: your subscription ends on {date} and you will not be charged again.'],
    ['The cheaper plan could work, what would it cost?', 'No thanks, please just cancel.'], ['Offered the Starter plan retention discount.']),
  t('Subscriptions', 'Billing', ['payment'], 'Renewal charged without warning', 'I was charged {amount} for the yearly renewal today. I did not get any reminder email before.',
    ['Hi {first}, we sent a reminder on {date}, but it may have gone to spam. If you do not want to renew, I can refund the renewal in full.'],
    ['Yes please refund it, we no longer need it.', 'Fine, we will keep it then.'], ['Reminder email bounced — customer’s address had changed.']),
  t('Shipping', 'Billing', ['shipping', 'late-delivery'], 'Where is my order {order}?', 'I ordered the {product} on {date} and the tracking has not moved for a week. Tracking number {tracking}.',
    ['Hi {first}, the carrier confirmed the parcel was held at their depot in {city}. It is back on its way and should arrive within two days.', 'I am sorry about the delay, {first}. I have opened an investigation with the carrier and will update you within 48 hours.'],
    ['Still nothing today.', 'It arrived this morning, thanks!'], ['Carrier claim opened for {tracking}.'], { normal: 3, high: 2 }),
  t('Shipping', 'Billing', ['shipping'], 'Change delivery address for {order}', 'I just placed order {order} and noticed the old address. Can you change it before it ships?',
    ['Caught it in time, {first}: the order is now going to the new address.', 'Unfortunately order {order} already left the warehouse. I have asked the carrier to redirect it.'],
    ['Thank you so much!'], [], { high: 3, normal: 2 }),
  t('Shipping', 'Billing', ['shipping'], 'Do you ship to {city}?', 'Hi, I would like to order the {product} but I live in {city}. Do you deliver there and how long does it take?',
    ['Hi {first}, yes, we ship to {city}: standard delivery takes 3–5 working days and express 1–2.'],
    ['Great, what does express cost?'], [], { low: 4, normal: 1 }),
  t('Returns', 'Billing', ['return'], 'How do I return the {product}?', 'The {product} does not fit what I need. How do I return it?',
    ['Hi {first}, you can return it within 30 days. I have emailed you a prepaid return label; drop the parcel at any post office.'],
    ['Label received, I will send it tomorrow.', 'The label link has expired.'], []),
  t('Returns', 'Billing', ['return', 'refund'], 'Return label not working', 'The return label for order {order} shows an error at the post office.',
    ['Sorry about that, {first}. I have generated a new label with a different carrier; it is in your inbox now.'],
    ['The new one worked.'], ['Carrier label API returned expired labels on {date}.']),
  t('Damaged items', 'Billing', ['damaged'], 'Item arrived broken', 'The {product} from order {order} arrived with a cracked screen. The box was damaged too.',
    ['I am so sorry, {first}. A replacement {product} is on its way today by express, tracking {tracking}. No need to return the broken one.', 'Could you send a photo of the damage and the box? Then I can send a replacement straight away.'],
    ['Photos attached.', 'Replacement arrived in perfect condition, thank you.'], ['Third damaged unit from this batch — flagged to logistics.'], { high: 3, urgent: 1, normal: 2 }),
  t('Damaged items', 'Billing', ['damaged', 'return'], 'Missing parts in my order', 'Order {order} arrived but the charger for the {product} is missing.',
    ['Hi {first}, a charger is on its way to you separately; it should arrive within two days.'],
    ['Got it, all complete now.'], []),
  t('Sign-in', 'Technical', ['login'], 'Cannot log in to my account', 'I keep getting "invalid password" even after resetting it twice. I need to get into my account today.',
    ['Hi {first}, your account was locked after several attempts. I have unlocked it; please reset your password once more and use the newest email link.', 'It looks like you have two accounts with different emails. Which one do you want to use?'],
    ['That worked, I am in.', 'Still the same error.'], ['Account locked by rate limiter after 10 attempts.'], { high: 3, normal: 2 }),
  t('Sign-in', 'Technical', ['login'], 'Password reset email never arrives', 'I requested a password reset three times but no email arrives. I checked spam.',
    ['Hi {first}, our mail to your provider was being deferred. I have sent the reset link again from another server; it should be there now.'],
    ['Got it this time, thanks.', 'Nothing yet.'], ['Mail provider greylisting our sender — ops informed.']),
  t('Sign-in', 'Technical', ['login', '2fa'], 'Lost my phone with the authenticator app', 'My phone was stolen and I cannot get the two-factor codes anymore. How do I get back into my account?',
    ['Hi {first}, I am sorry about your phone. For security I need to verify your identity: please reply with the last four digits of the card on file and your billing postcode.', 'Thank you, identity confirmed. I have reset two-factor authentication; you will be asked to set it up again at your next sign-in.'],
    ['The card ends in {last4}.', 'I am back in, thank you.'], ['Identity verified against billing details before 2FA reset.'], { high: 3, urgent: 1 }),
  t('Security', 'Technical', ['2fa', 'urgent'], 'Suspicious login from another country', 'I got an alert about a sign-in from a country I have never been to. Was my account hacked?',
    ['Hi {first}, I have signed out every session and locked the account. Please set a new password with the link I just sent, and turn on two-factor authentication.'],
    ['Done, new password set.', 'Can you tell me what they accessed?'], ['Login from unknown IP range; sessions revoked, security team informed.'], { urgent: 2, high: 2 }),
  t('Security', 'Technical', ['gdpr'], 'Please delete my data', 'Under GDPR I would like you to delete all personal data you hold about me.',
    ['Hi {first}, we have received your erasure request. We will complete it within 30 days and confirm by email.'],
    ['Thank you, please confirm when it is done.'], ['Erasure request logged; needs four-eyes approval.'], { normal: 3, high: 1 }),
  t('Profile', 'Technical', [], 'Change the email on my account', 'I changed jobs and want my account to use my personal email from now on.',
    ['Hi {first}, I have sent a confirmation link to the new address; the change takes effect when you click it.'],
    ['Confirmed, thanks.'], [], { low: 3, normal: 2 }),
  t('Profile', 'Technical', [], 'Merge my two accounts', 'I seem to have two accounts, one with each of my email addresses. Can you merge them?',
    ['Hi {first}, done: your orders and history are now under one account, and both emails sign in to it.'],
    ['Perfect, I can see everything now.'], ['Merged duplicate profiles after email verification.'], { low: 2, normal: 3 }),
  t('Bug report', 'Technical', ['bug'], 'Export to CSV is empty', 'When I export my reports to CSV the file only contains the header row. This started after the last update.',
    ['Thanks for the report, {first}. We reproduced it: exports with a date filter come out empty. A fix is scheduled for this week; in the meantime, exporting without the filter works.', 'Could you tell me which browser and which date range you use?'],
    ['Chrome, last 30 days.', 'The workaround is fine for now.', 'Confirmed fixed, thanks.'], ['Reproduced — BUG-{days}41 filed with engineering.', 'Engineering says the fix ships in the next release.'], { normal: 3, high: 2 }),
  t('Bug report', 'Technical', ['bug'], 'Page freezes when I click Save', 'Every time I click Save on the settings page the whole page freezes. I am on {device}.',
    ['Hi {first}, this is a known issue on {device} that we fixed yesterday. Could you clear your browser cache and try again?'],
    ['Works after clearing the cache.', 'Still freezing.'], ['Known issue with cached scripts after the deploy on {date}.']),
  t('Bug report', 'Technical', ['bug', 'urgent'], 'Checkout is down for our customers', 'Our customers are getting an error 500 at checkout since this morning. We are losing sales. Please help urgently!',
    ['Hi {first}, we confirmed an outage of the payment service in your region and our engineers are on it. I will update you every 30 minutes.', 'The fix is deployed and checkouts are going through again. I am very sorry for the disruption.'],
    ['Any update? Still failing here.', 'Confirmed working on our side.'], ['Incident INC-{days}7 opened; linked all affected tickets.', 'Post-mortem to be shared with enterprise customers.'], { urgent: 4, high: 1 }),
  t('Bug report', 'Technical', ['bug'], 'Notification emails arrive twice', 'Since last week every notification email arrives twice.',
    ['Thanks, {first}. We found a duplicate job in our mail queue and removed it; duplicates should stop from now on.'],
    ['Yes, only one email today.'], [], { low: 3, normal: 2 }),
  t('Integrations', 'Technical', ['api'], 'API returns 401 with a new token', 'I created a new API token but every call returns 401 Unauthorized. The old token worked fine.',
    ['Hi {first}, the new token was created with read-only scope. Create one with write scope, or send GET requests only with this one.', 'Could you send me the request id from the response headers? Then I can look at our logs.'],
    ['The request id is req-{days}a9f.', 'Ah, the scope was it. Working now.'], ['Token scope mismatch — docs could be clearer.']),
  t('Integrations', 'Technical', ['api'], 'Webhook deliveries failing', 'Our webhook endpoint has not received any events since {date}. Did something change?',
    ['Hi {first}, your endpoint started answering with a certificate error on {date}; we paused deliveries after repeated failures. Once the certificate is renewed I can replay the missed events.'],
    ['Certificate renewed, please replay.', 'Events are flowing again, thanks.'], ['Replayed 1,284 events after certificate renewal.'], { high: 3, normal: 2 }),
  t('Integrations', 'Technical', ['api'], 'Rate limit too low for our sync', 'We sync our catalogue nightly and keep hitting the API rate limit. Can it be raised?',
    ['Hi {first}, on the {plan} plan we can raise the limit for your account. I have doubled it; let me know if the nightly sync still hits it.'],
    ['Tonight’s sync finished without errors.'], ['Raised rate limit to 1200/min for this account.'], { low: 2, normal: 3 }),
  t('Mobile app', 'Technical', ['mobile-app', 'bug'], 'App crashes on start', 'Since the latest update the app crashes right after the splash screen on my {device}.',
    ['Hi {first}, thanks for letting us know. Version 4.2.1, out today, fixes a crash on start on {device}. Could you update and try again?'],
    ['Updated and it works now.', 'Still crashing after the update.'], ['Crash reports match the 4.2.0 start-up regression.'], { high: 3, normal: 2 }),
  t('Mobile app', 'Technical', ['mobile-app'], 'Push notifications stopped', 'I no longer get push notifications on my {device}, even though they are enabled in the settings.',
    ['Hi {first}, please sign out of the app and back in: that registers your device for notifications again.'],
    ['That fixed it.'], [], { low: 3, normal: 2 }),
  t('Mobile app', 'Technical', ['mobile-app'], 'Dark mode text unreadable', 'In dark mode some labels on the order screen are dark grey on black and I can hardly read them.',
    ['Thanks, {first}! I have passed this to our design team with your screenshot; it will be fixed in the next app release.'],
    [], ['Added to the accessibility backlog.'], { low: 4, normal: 1 }),
  t('Feature request', 'Technical', ['feature-request'], 'Feature request: {feature}', 'It would really help our team if you supported {feature}. Is this on your roadmap?',
    ['Thanks for the suggestion, {first}! I have added your vote for {feature}; our product team reviews these every month.', 'Good news: {feature} is planned for next quarter. I will let you know when it is available.'],
    ['Great, please keep me posted.'], ['Logged as feature request; 14 other customers asked for {feature}.'], { low: 4, normal: 1 }),
  t('Feature request', 'Technical', ['feature-request'], 'Can we have more user seats?', 'Our plan is limited to 10 seats and we need 15. Is there a way to add seats without moving to Enterprise?',
    ['Hi {first}, yes: you can add seats one by one under Billing → Seats, each at the per-seat price of your plan.'],
    ['Found it, thanks.'], [], { low: 3, normal: 2 }),
  t('Feedback', 'Technical', ['feedback'], 'Love the new dashboard', 'Just wanted to say the new dashboard is a huge improvement. Well done!',
    ['Thank you so much, {first}! I have shared your message with the team; it made their day.'],
    [], [], { low: 5 }),
  t('Feedback', 'Billing', ['feedback', 'churn-risk'], 'Very disappointed with the service', 'This is the third time this month that I have had to contact you about the same problem. I am considering leaving.',
    ['I am truly sorry, {first}. I have read through your previous conversations and I will personally make sure this is resolved. As an apology, I have added a month of {plan} to your account.'],
    ['Thank you, I appreciate that someone finally listened.', 'A free month does not fix the problem.'], ['Repeat contact (3rd time) — escalated to supervisor.', 'Goodwill credit applied: one month.'], { high: 3, normal: 1 }),
  t('Payments', 'Billing', ['payment', 'invoice'], 'Invoice {invoice} is overdue?', 'We received a reminder that invoice {invoice} is overdue but we paid it on {date}.',
    ['Hi {first}, you are right, the payment arrived but was not matched to the invoice. I have marked {invoice} as paid; please ignore the reminder.'],
    ['Thanks for sorting it out.'], ['Payment reference missing the invoice number — matched manually.']),
  t('Shipping', 'Billing', ['shipping'], 'Can I pick up my order in {city}?', 'Is there a pickup point in {city} for order {order}? I am not home during the day.',
    ['Hi {first}, yes: I have switched order {order} to our partner pickup point in central {city}. You will get a code by SMS when it arrives.'],
    ['Perfect, thank you.'], [], { low: 3, normal: 2 }),
]

const products = ['wireless headphones', 'smart thermostat', 'standing desk', 'espresso machine', 'fitness tracker', 'e-reader', 'robot vacuum', 'mechanical keyboard', 'webcam', 'air purifier']
const plans = ['Pro', 'Business', 'Team', 'Premium']
const devices = ['iPhone 15', 'Pixel 8', 'Galaxy S23', 'iPad Air', 'MacBook with Safari', 'Windows laptop with Edge']
const features = ['single sign-on with Okta', 'a Slack integration', 'scheduled reports', 'custom roles', 'bulk editing', 'a public status page', 'an offline mode', 'exports to Google Sheets']
const cities = ['Manchester', 'Porto', 'Hamburg', 'Vancouver', 'Denver', 'Brisbane', 'Cork', 'Marseille']

/** Fills a template's {variables}; one set of values per conversation, so its messages agree. */
export function variablesFor(rnd: Random, first: string, agent: string, when: Date): Record<string, string> {
  const day = new Date(when.getTime() - rnd.int(2, 12) * 86_400_000)
  return {
    first,
    agent,
    order: `#A${rnd.int(10_000, 99_999)}`,
    amount: `$${rnd.int(12, 480)}.${rnd.pick(['00', '49', '99'])}`,
    product: rnd.pick(products),
    invoice: `INV-${when.getUTCFullYear()}-${String(rnd.int(1, 9999)).padStart(4, '0')}`,
    tracking: `1Z${rnd.int(100_000, 999_999)}${rnd.int(1000, 9999)}`,
    plan: rnd.pick(plans),
    device: rnd.pick(devices),
    date: day.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' }),
    days: String(rnd.int(5, 25)),
    feature: rnd.pick(features),
    last4: String(rnd.int(1000, 9999)),
    city: rnd.pick(cities),
  }
}

export const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m)
