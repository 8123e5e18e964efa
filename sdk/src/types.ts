/**
 * Public shapes of the SDK. Decisions and surveys are the server's handshake records
 * (docs/handshake.md); times are unix milliseconds unless a name says otherwise.
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Why a decision has its value: the OpenFeature set, as the server sends it. */
export type Reason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR' | 'STALE' | 'CACHED' | 'UNKNOWN';

/** What went wrong when `reason` is `ERROR`: the OpenFeature set. */
export type ErrorCode = 'PROVIDER_NOT_READY' | 'FLAG_NOT_FOUND' | 'PARSE_ERROR' | 'TYPE_MISMATCH' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL';

/** One cohort a decision read, its state and when its membership was computed (`as_of`, unix ms). */
export interface Freshness {
  cohort: string;
  state: string;
  as_of: number | null;
}

/** The decision for one flag or config key (PRODUCT.md 7.3). */
export interface Decision {
  key: string;
  value: JsonValue;
  variant: string | null;
  reason: Reason;
  rule_id?: string;
  error_code?: ErrorCode;
  error_message?: string;
  version?: number;
  payload?: JsonValue;
  freshness: Freshness[];
}

/** When the SDK offers a survey: any of `events` tracked (none: on a page view), on a URL matching `url_pattern`, after `delay_ms`. */
export interface SurveyTriggers {
  events: string[];
  url_pattern: string | null;
  delay_ms: number;
}

/** An eligible survey as the handshake lists it: what the app needs to show it. */
export interface Survey {
  key: string;
  name: string;
  questions: JsonValue[];
  triggers: SurveyTriggers;
  reason?: Reason;
  version?: number;
}

/** The part of a `/v1/decide` answer the SDK keeps; also the shape of `bootstrap`. */
export interface Handshake {
  flags: Record<string, Decision>;
  configs: Record<string, Decision>;
  surveys: Survey[];
}

/** A synchronous key-value store of strings: `localStorage`, `memoryStorage()`, `fileStorage(path)`. */
export interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** `loading` before the first handshake; `ready` on fresh decisions; `stale` serving persisted or unconfirmed ones; `error` with nothing to serve. */
export type Status = 'loading' | 'ready' | 'stale' | 'error';

/**
 * Values a server rendered into the page: a whole handshake answer, or plain values per key
 * (`{ flags: { beta: true }, configs: { limits: { max: 5 } } }`, served with reason `CACHED`).
 * `distinct_id` starts the client as that (identified) user.
 */
export interface Bootstrap {
  flags?: Record<string, Decision | JsonValue>;
  configs?: Record<string, Decision | JsonValue>;
  surveys?: Survey[];
  distinct_id?: string;
}

export interface ClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`; '' (default) means the page's own origin. */
  host?: string;
  /** Where the anonymous id, identity, last decisions and the event queue live; default localStorage in browsers, memory elsewhere. */
  storage?: Storage;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Per request timeout, and the longest `ready()` waits, in ms; default 3000. */
  timeoutMs?: number;
  /** Decisions a server rendered: served at once, `ready()` resolves immediately. */
  bootstrap?: Bootstrap;
  /** How long a tracked event may wait before its batch is sent, in ms; default 1000. */
  flushIntervalMs?: number;
  /** Most queued events and profile updates kept; past it the oldest are dropped and counted; default 1000. */
  maxQueue?: number;
  /** Most events per request (server limit 1000); default 100. */
  batchSize?: number;
  /** First retry delay in ms, doubled per failure up to 30 s (half of it random); default 500. */
  retryBaseMs?: number;
  /**
   * Follow `GET /v1/stream` for changed decisions (default true); while it is connected the
   * refresh timer does not poll. A server without the stream (404) leaves polling on.
   */
  stream?: boolean;
  /** Handshake again every this many ms (with If-None-Match; at least 1000); 0 turns the timer off; default 300000. */
  refreshIntervalMs?: number;
  /** Start identified as this id (a logged-in user the server knows); no alias is sent. */
  distinctId?: string;
  /** Use this anonymous id instead of making one (e.g. a server that knows the device id). */
  anonymousId?: string;
  /** Sent as `person_properties` with every handshake (overlaying stored properties). */
  personProperties?: Record<string, unknown>;
  /** Called when a tracked event or page view matches an eligible survey's trigger. */
  onSurvey?: (survey: Survey) => void;
  /** Called with every failure the SDK absorbed (it never throws to the app). */
  onError?: (error: { where: string; message: string }) => void;
  /** In browsers: flush with `keepalive` when the page is hidden; default true. */
  flushOnPageHide?: boolean;
}

/** Delivery counters since the client was created (`queued` is the current queue length). */
export interface Stats {
  status: Status;
  queued: number;
  sent: number;
  dropped: number;
  rejected: number;
  retries: number;
  errors: number;
  lastError: { at: number; where: string; message: string } | null;
  lastHandshakeAt: number | null;
}

/** Profile updates (`/v1/engage`): each queues one update for the current distinct_id. */
export type People = Record<'set' | 'setOnce' | 'append' | 'remove', (properties: Record<string, unknown>) => void> & {
  add(properties: Record<string, number>): void;
  union(properties: Record<string, unknown[]>): void;
  unset(keys: string[]): void;
};

export interface SwitchboardClient {
  /** Resolves after the first handshake or `timeoutMs`, whichever comes first; never rejects. */
  ready(): Promise<void>;
  isEnabled(key: string, defaultValue: boolean): boolean;
  getVariant(key: string, defaultValue?: string | null): string | null;
  getPayload(key: string, defaultValue?: JsonValue): JsonValue | undefined;
  getConfig<T = JsonValue>(key: string, defaultValue: T): T;
  /** The whole record: value, variant, reason (STALE offline), rule_id, freshness; reason ERROR with error_code when absent. */
  getDecision(key: string): Decision;
  /** Eligible surveys not answered here. */
  getSurveys(): Survey[];
  /** Called with the keys whose value or variant changed; returns an unsubscribe function. */
  onChange(listener: (keys: string[]) => void): () => void;
  onStatus(listener: (status: Status) => void): () => void;
  status(): Status;
  /** Logs in as `id`: `/v1/alias` once (anonymous → identified), `$set` of `properties`, then a handshake with `anon_id`. */
  identify(id: string, properties?: Record<string, unknown>): Promise<void>;
  /** Logs out: a new anonymous id, decisions of the new id. */
  reset(): Promise<void>;
  /** A handshake now (If-None-Match). */
  refresh(): Promise<void>;
  distinctId(): string;
  anonymousId(): string;
  track(event: string, properties?: Record<string, unknown>): void;
  /** A `$pageview` event (at `url`, default the page's) and the page-view survey triggers. */
  page(url?: string, properties?: Record<string, unknown>): void;
  people: People;
  /** Sends `survey shown` (starts the survey's wait period) and re-asks for decisions. */
  surveyShown(key: string): Promise<void>;
  /** Sends `survey sent` with the answers; the survey is not offered again. */
  answerSurvey(key: string, answers: JsonValue): Promise<void>;
  /** Sends everything queued; true when the queue is empty. */
  flush(): Promise<boolean>;
  stats(): Stats;
  /** Stops timers and listeners after a last flush (bounded by `timeoutMs`). */
  close(): Promise<void>;
}
