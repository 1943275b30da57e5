import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Kysely's view of the tables created in ./migrations. Keep in step with them. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type Json<T = unknown> = ColumnType<T, string | T | undefined, string | T>

export interface WorkspacesTable {
  id: Generated<string>
  name: string
  time_zone: Generated<string>
  default_locale: Generated<string>
  data_region: Generated<string>
  settings: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface UsersTable {
  id: Generated<string>
  workspace_id: string
  email: string
  name: string
  role: string
  password_hash: string | null
  active: Generated<boolean>
  instance_owner: Generated<boolean>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface TeamsTable {
  id: Generated<string>
  workspace_id: string
  name: string
  description: string | null
  created_at: Timestamp
}

export interface TeamMembersTable {
  workspace_id: string
  team_id: string
  user_id: string
  created_at: Timestamp
}

export interface ApiTokensTable {
  id: Generated<string>
  workspace_id: string
  user_id: string
  name: string
  token_hash: string
  token_prefix: string
  expires_at: NullableTimestamp
  revoked_at: NullableTimestamp
  last_used_at: NullableTimestamp
  created_at: Timestamp
}

export interface SessionsTable {
  id: Generated<string>
  workspace_id: string
  user_id: string
  token_hash: string
  ip: string | null
  user_agent: string | null
  expires_at: Timestamp
  created_at: Timestamp
}

export interface ContactsTable {
  id: Generated<string>
  workspace_id: string
  name: string | null
  attributes: Json<Record<string, unknown>>
  merged_into_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ContactIdentitiesTable {
  id: Generated<string>
  workspace_id: string
  contact_id: string
  kind: string
  value: string
  raw_value: string
  verified: Generated<boolean>
  undeliverable_at: NullableTimestamp
  /** The last bounce (0006): reason (bounce-reasons.ts), the remote server's words, the DSN status code. */
  bounce_reason: string | null
  bounce_diagnostic: string | null
  bounce_status: string | null
  bounced_at: NullableTimestamp
  soft_bounce_count: Generated<number>
  soft_window_ends_at: NullableTimestamp
  soft_blocked_until: NullableTimestamp
  created_at: Timestamp
}

export interface ContactMergesTable {
  id: Generated<string>
  workspace_id: string
  source_contact_id: string
  target_contact_id: string
  moved: Json<Record<string, unknown>>
  conflicts: Json<unknown[]>
  merged_by: string | null
  undone_at: NullableTimestamp
  undone_by: string | null
  created_at: Timestamp
}

export interface InboxesTable {
  id: Generated<string>
  workspace_id: string
  name: string
  channel: string
  config: Json<Record<string, unknown>>
  secrets: string | null
  active: Generated<boolean>
  is_default: Generated<boolean>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface CategoriesTable {
  id: Generated<string>
  workspace_id: string
  parent_id: string | null
  name: string
  created_at: Timestamp
}

export interface CustomFieldsTable {
  id: Generated<string>
  workspace_id: string
  key: string
  label: string
  type: string
  options: Json<string[]>
  created_at: Timestamp
}

export interface TagsTable {
  workspace_id: string
  name: string
  color: string | null
  created_at: Timestamp
}

export interface ConversationsTable {
  id: Generated<string>
  workspace_id: string
  number: ColumnType<string, string | number, string | number>
  subject: string | null
  status: Generated<string>
  priority: Generated<string>
  contact_id: string
  inbox_id: string
  channel: string
  team_id: string | null
  assignee_id: string | null
  category_id: string | null
  custom_fields: Json<Record<string, unknown>>
  first_inbound_at: NullableTimestamp
  first_response_at: NullableTimestamp
  last_customer_message_at: NullableTimestamp
  last_message_at: NullableTimestamp
  solved_at: NullableTimestamp
  closed_at: NullableTimestamp
  reopened_at: NullableTimestamp
  reopen_count: Generated<number>
  /** The conversation this one follows up (migration 0003). */
  follow_up_of: ColumnType<string | null, string | null | undefined, string | null>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ConversationTagsTable {
  workspace_id: string
  conversation_id: string
  tag: string
  created_at: Timestamp
}

export interface MessagesTable {
  id: Generated<string>
  workspace_id: string
  conversation_id: string
  inbox_id: string | null
  direction: string
  channel: string
  author_type: string
  author_id: string | null
  text: string
  html: string | null
  provider_message_id: string | null
  delivery_status: string | null
  delivery_error: string | null
  metadata: Json<Record<string, unknown>>
  created_at: Timestamp
}

export interface AttachmentsTable {
  id: Generated<string>
  workspace_id: string
  message_id: string
  filename: string
  content_type: string
  size: ColumnType<string, number, number>
  blob_key: string
  content_id: string | null
  inline: Generated<boolean>
  created_at: Timestamp
}

export interface EventsTable {
  id: ColumnType<string, never, never>
  workspace_id: string
  type: string
  conversation_id: string | null
  contact_id: string | null
  actor: Json<Record<string, unknown>>
  payload: Json<Record<string, unknown>>
  created_at: Timestamp
  dispatched_at: NullableTimestamp
  attempts: Generated<number>
  next_attempt_at: NullableTimestamp
  last_error: string | null
}

export interface EventListenerRunsTable {
  event_id: string
  listener_id: string
  completed_at: Timestamp
}

export interface AuditEventsTable {
  id: ColumnType<string, never, never>
  workspace_id: string
  /** NULL until the audit appender links the entry into its workspace's chain (with prev_hash and hash). */
  seq: ColumnType<string | null, never, never>
  actor_type: string
  actor_id: string | null
  actor_label: string | null
  action: string
  entity_type: string
  entity_id: string | null
  changes: Json<Record<string, unknown> | null> | null
  ip: string | null
  request_id: string | null
  created_at: ColumnType<Date, Date, never>
  prev_hash: ColumnType<string | null, never, never>
  hash: ColumnType<string | null, never, never>
}

export interface IdempotencyKeysTable {
  workspace_id: string
  key: string
  principal: string
  method: string
  path: string
  request_hash: string
  status_code: number | null
  response: Json<unknown> | null
  created_at: Timestamp
}

export interface InboundEmailsTable {
  id: Generated<string>
  workspace_id: string
  inbox_id: string
  raw_blob_key: string
  raw_sha256: string
  size: ColumnType<string, number | string, number | string>
  message_id_header: string | null
  dedupe_key: string
  envelope_from: string | null
  envelope_to: ColumnType<string[], string[] | undefined, string[]>
  from_address: string | null
  subject: string | null
  status: Generated<string>
  classification: string | null
  classification_details: Json<Record<string, unknown>> | null
  reason: string | null
  conversation_id: string | null
  message_id: string | null
  threading: Json<Record<string, unknown>> | null
  attempts: Generated<number>
  next_attempt_at: NullableTimestamp
  last_error: string | null
  released_at: NullableTimestamp
  received_at: Timestamp
  processed_at: NullableTimestamp
}

/** UID checkpoint of one IMAP folder of an inbox (migration 0004-imap). bigint columns come back as strings. */
export interface ImapCheckpointsTable {
  workspace_id: string
  inbox_id: string
  folder: string
  uid_validity: ColumnType<string, string | number, string | number>
  last_uid: ColumnType<string, string | number, string | number>
  floor_uid: ColumnType<string, string | number, string | number>
  since: NullableTimestamp
  watching_since: Timestamp
  resyncs: Generated<number>
  fetched: ColumnType<string, string | number | undefined, string | number>
  duplicates: ColumnType<string, string | number | undefined, string | number>
  updated_at: Timestamp
}

/** What the IMAP poller last saw of a mailbox (migration 0004-imap). */
export interface ImapMailboxHealthTable {
  workspace_id: string
  inbox_id: string
  status: string
  last_success_at: NullableTimestamp
  last_attempt_at: NullableTimestamp
  last_error: string | null
  last_error_at: NullableTimestamp
  consecutive_failures: Generated<number>
  next_attempt_at: NullableTimestamp
  updated_at: Timestamp
}

/** Routing (migration 0011): presence, capacity and skills of one agent. */
export interface AgentRoutingTable {
  workspace_id: string
  user_id: string
  status: Generated<string>
  status_reason: string | null
  status_changed_at: Timestamp
  last_seen_at: NullableTimestamp
  capacity: Json<Record<string, number>>
  skills: Json<Array<{ name: string; level: number }>>
  last_assigned_at: NullableTimestamp
  updated_at: Timestamp
}

export interface RoutingSettingsTable {
  workspace_id: string
  transfer_note_required: Generated<boolean>
  updated_at: Timestamp
}

export interface RoutingQueuesTable {
  id: Generated<string>
  workspace_id: string
  name: string
  position: number
  strategy: string
  match: Json<Record<string, unknown>>
  team_id: string | null
  required_skills: Json<Array<{ name: string; level: number }>>
  preferred_skills: Json<Array<{ name: string; level: number; weight?: number }>>
  sticky_minutes: number | null
  fallback_strategy: string | null
  offer_timeout_seconds: Generated<number>
  overflow: Json<Record<string, unknown> | null>
  release_on_offline: Generated<boolean>
  ab_test: Json<Record<string, unknown> | null>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RoutingEntriesTable {
  conversation_id: string
  workspace_id: string
  queue_id: string
  state: string
  arm: string | null
  ab_queue_id: string | null
  skill_level_drop: Generated<number>
  priority_rank: Generated<number>
  queued_at: Timestamp
  entered_queue_at: Timestamp
  waiting_since: Timestamp
  assigned_at: NullableTimestamp
  first_assigned_at: NullableTimestamp
  assignee_id: string | null
  updated_at: Timestamp
  /** A copy of the case's next SLA breach (migration 0019), kept in step by the SLA module: the backlog's second sort key. */
  next_breach_at: NullableTimestamp
  /** Put in this queue by name (transfer, escalation, overflow): not re-matched by entry rules (migration 0019). */
  queue_pinned: Generated<boolean>
}

export interface RoutingOffersTable {
  id: Generated<string>
  workspace_id: string
  conversation_id: string
  user_id: string
  queue_id: string | null
  channel: string
  state: Generated<string>
  created_at: Timestamp
  expires_at: Timestamp
  responded_at: NullableTimestamp
}

export interface RoutingDecisionsTable {
  id: Generated<string>
  workspace_id: string
  conversation_id: string
  queue_id: string | null
  kind: string
  strategy: string | null
  strategy_version: number | null
  arm: string | null
  candidates: Json<unknown[]>
  winner_id: string | null
  duration_ms: number
  reason: string
  actor: Json<Record<string, unknown>>
  created_at: Timestamp
}

/** Business calendars (migration 0012-sla). */
export interface BusinessCalendarsTable {
  id: Generated<string>
  workspace_id: string
  name: string
  time_zone: string
  weekly_hours: Json<Record<string, Array<[string, string]>>>
  holidays: Json<Array<{ date: string; name: string }>>
  holiday_region: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** SLA policies, ordered by position (migration 0012-sla); `rules` holds match, targets, pauses, warnings, escalations. */
export interface SlaPoliciesTable {
  id: Generated<string>
  workspace_id: string
  name: string
  calendar_id: string | null
  position: number
  active: Generated<boolean>
  rules: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
}

/** A conversation's SLA facts and last evaluation (migration 0012-sla). */
export interface ConversationSlasTable {
  conversation_id: string
  workspace_id: string
  policy_id: string | null
  facts: Json<Array<Record<string, unknown>>>
  evaluation: Json<Record<string, unknown> | null>
  first_response_due_at: NullableTimestamp
  next_response_due_at: NullableTimestamp
  resolution_due_at: NullableTimestamp
  next_breach_at: NullableTimestamp
  breached: Generated<boolean>
  active: Generated<boolean>
  next_check_at: NullableTimestamp
  evaluated_at: NullableTimestamp
  updated_at: Timestamp
}

/** Every start, pause, resume, fulfilment, warning, breach and escalation of an SLA clock (migration 0012-sla). */
export interface SlaClockEventsTable {
  id: Generated<string>
  workspace_id: string
  conversation_id: string
  key: string
  clock: string
  cycle: number
  kind: string
  percent: number | null
  at: Timestamp
  policy_id: string | null
  text: string
  created_at: Timestamp
}

export interface ContactConsentsTable {
  workspace_id: string
  contact_id: string
  channel: string
  status: 'granted' | 'withdrawn'
  source: string
  keyword: string | null
  identity: string | null
  inbox_id: string | null
  changed_at: Timestamp
}

export interface VoiceCallsTable {
  id: Generated<string>
  workspace_id: string
  inbox_id: string
  call_sid: string
  from_number: string
  to_number: string
  contact_id: string | null
  conversation_id: string | null
  status: string
  outcome: 'answered' | 'missed' | 'voicemail' | null
  duration_seconds: number | null
  answered_at: NullableTimestamp
  ended_at: NullableTimestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export interface TasksTable {
  id: Generated<string>
  workspace_id: string
  conversation_id: string
  kind: 'callback'
  status: Generated<'open' | 'done' | 'canceled'>
  phone: string | null
  note: string | null
  due_at: Timestamp
  source: 'api' | 'ivr' | 'widget'
  created_by: string | null
  reminded_at: NullableTimestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export interface InboxHealthTable {
  workspace_id: string
  inbox_id: string
  consecutive_failures: Generated<number>
  last_success_at: NullableTimestamp
  last_failure_at: NullableTimestamp
  last_error_code: string | null
  last_error_message: string | null
  last_error_at: NullableTimestamp
  last_webhook_at: NullableTimestamp
  last_webhook_rejected_at: NullableTimestamp
  updated_at: Timestamp
}

/** A WhatsApp inbox's message template (0014): what may be sent outside the 24-hour window. */
export interface WhatsappTemplatesTable {
  id: Generated<string>
  workspace_id: string
  inbox_id: string
  name: string
  language: string
  category: Generated<string>
  body: string
  variable_count: Generated<number>
  status: Generated<string>
  created_at: Timestamp
  updated_at: Timestamp
}

/** Saved inbox views (migration 0010-desk): personal, or shared with the workspace. */
export interface SavedViewsTable {
  id: Generated<string>
  workspace_id: string
  owner_id: string
  name: string
  filters: Json<Record<string, unknown>>
  sort: Generated<string>
  shared: Generated<boolean>
  created_at: Timestamp
  updated_at: Timestamp
}

/** Canned replies with {{variables}} (migration 0010-desk). */
export interface CannedRepliesTable {
  id: Generated<string>
  workspace_id: string
  owner_id: string
  name: string
  shortcut: string | null
  body: string
  shared: Generated<boolean>
  created_at: Timestamp
  updated_at: Timestamp
}

/** A user's notifications: mentions in notes, assignments (migration 0010-desk). */
export interface NotificationsTable {
  id: Generated<string>
  workspace_id: string
  user_id: string
  kind: string
  conversation_id: string | null
  message_id: string | null
  actor_id: string | null
  actor_label: string | null
  text: string
  source_event_id: ColumnType<string, string | number, string | number>
  read_at: NullableTimestamp
  created_at: Timestamp
}

export interface ContactMergeSuggestionsTable {
  id: Generated<string>
  workspace_id: string
  contact_a_id: string
  contact_b_id: string
  evidence: Json<Record<string, unknown>>
  status: Generated<string>
  merge_id: string | null
  decided_by: string | null
  decided_at: NullableTimestamp
  created_at: Timestamp
}

export interface DB {
  contact_consents: ContactConsentsTable
  voice_calls: VoiceCallsTable
  tasks: TasksTable
  inbox_health: InboxHealthTable
  workspaces: WorkspacesTable
  users: UsersTable
  teams: TeamsTable
  team_members: TeamMembersTable
  api_tokens: ApiTokensTable
  sessions: SessionsTable
  contacts: ContactsTable
  contact_identities: ContactIdentitiesTable
  contact_merges: ContactMergesTable
  inboxes: InboxesTable
  categories: CategoriesTable
  custom_fields: CustomFieldsTable
  tags: TagsTable
  conversations: ConversationsTable
  conversation_tags: ConversationTagsTable
  messages: MessagesTable
  attachments: AttachmentsTable
  events: EventsTable
  event_listener_runs: EventListenerRunsTable
  audit_events: AuditEventsTable
  idempotency_keys: IdempotencyKeysTable
  inbound_emails: InboundEmailsTable
  imap_checkpoints: ImapCheckpointsTable
  imap_mailbox_health: ImapMailboxHealthTable
  contact_merge_suggestions: ContactMergeSuggestionsTable
  chat_visitors: ChatVisitorsTable
  saved_views: SavedViewsTable
  canned_replies: CannedRepliesTable
  notifications: NotificationsTable
  whatsapp_templates: WhatsappTemplatesTable
  business_calendars: BusinessCalendarsTable
  sla_policies: SlaPoliciesTable
  conversation_slas: ConversationSlasTable
  sla_clock_events: SlaClockEventsTable
  agent_routing: AgentRoutingTable
  routing_settings: RoutingSettingsTable
  routing_queues: RoutingQueuesTable
  routing_entries: RoutingEntriesTable
  routing_offers: RoutingOffersTable
  routing_decisions: RoutingDecisionsTable
  notification_deliveries: NotificationDeliveriesTable
}

/** A web chat visitor (migration 0009): one browser's anonymous id and what it told us. */
export interface ChatVisitorsTable {
  id: Generated<string>
  workspace_id: string
  inbox_id: string
  token_hash: string
  contact_id: string | null
  conversation_id: string | null
  name: string | null
  email: string | null
  topic: string | null
  verified_external_id: string | null
  claims: Json<Record<string, unknown>>
  read_up_to: Date | null
  last_seen_at: Generated<Date>
  created_at: Generated<Date>
}

export type Row<T extends keyof DB> = Selectable<DB[T]>
export type NewRow<T extends keyof DB> = Insertable<DB[T]>
export type RowUpdate<T extends keyof DB> = Updateable<DB[T]>

/** Each email sent (or not) for a notification (migration 0019): status, relay message id or why no mail went. */
export interface NotificationDeliveriesTable {
  id: Generated<string>
  workspace_id: string
  notification_id: string
  channel: string
  recipient: string | null
  status: string
  detail: string | null
  provider_message_id: string | null
  attempts: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}
