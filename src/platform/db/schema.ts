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
  conversation_seq: ColumnType<string, never, string | number>
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
