// The slice of OpenAI's GA Realtime event contract this page reads or sends.
import type { TurnDetection } from './page-config.js';

export interface RealtimeEvent {
  readonly type: string;
  readonly event_id?: string;
  readonly [key: string]: unknown;
}

export interface ConversationItem {
  readonly id: string;
  readonly type: string;
  readonly role?: 'user' | 'assistant' | 'system';
  readonly content?: ReadonlyArray<{ readonly type: string; readonly text?: string; readonly transcript?: string | null }>;
  /**
   * Tool items. `function_call` / `function_call_output`: the server's tools answer these over the sideband.
   * MCP items also name their server.
   */
  readonly call_id?: string;
  readonly name?: string;
  readonly arguments?: string;
  readonly output?: string | null;
  readonly server_label?: string;
  /** `mcp_call` items that failed. */
  readonly error?: unknown;
}

/** `response.usage`: cached tokens are a part of the input tokens, billed at a lower rate. */
export interface Usage {
  readonly total_tokens?: number;
  readonly input_tokens?: number;
  readonly output_tokens?: number;
  readonly input_token_details?: {
    readonly text_tokens?: number;
    readonly audio_tokens?: number;
    readonly cached_tokens?: number;
    readonly cached_tokens_details?: { readonly text_tokens?: number; readonly audio_tokens?: number };
  };
  readonly output_token_details?: { readonly text_tokens?: number; readonly audio_tokens?: number };
}

export interface ResponseSummary {
  readonly id: string;
  readonly status?: 'completed' | 'cancelled' | 'failed' | 'incomplete' | 'in_progress';
  readonly output?: ReadonlyArray<{ readonly id: string; readonly type?: string; readonly call_id?: string }>;
  readonly usage?: Usage | null;
}

/** The part of `session.updated` the page shows: what OpenAI says is in force. */
export interface SessionSummary {
  readonly model?: string;
  readonly audio?: {
    readonly input?: { readonly turn_detection?: { readonly type?: string } | null };
    readonly output?: { readonly voice?: string };
  };
}

export interface RateLimit {
  readonly name: string;
  readonly limit: number;
  readonly remaining: number;
  readonly reset_seconds: number;
}

export interface ServerEvents {
  'conversation.item.added': { item: ConversationItem; previous_item_id?: string | null };
  'conversation.item.done': { item: ConversationItem; previous_item_id?: string | null };
  'input_audio_buffer.committed': { item_id: string; previous_item_id?: string | null };
  'conversation.item.input_audio_transcription.delta': { item_id: string; delta: string };
  'conversation.item.input_audio_transcription.completed': { item_id: string; transcript: string };
  'conversation.item.input_audio_transcription.failed': { item_id: string };
  'response.output_audio_transcript.delta': { item_id: string; delta: string };
  'response.output_audio_transcript.done': { item_id: string; transcript: string };
  'response.output_text.delta': { item_id: string; delta: string };
  'response.output_text.done': { item_id: string; text: string };
  'input_audio_buffer.speech_started': { item_id?: string };
  'input_audio_buffer.speech_stopped': { item_id?: string };
  'output_audio_buffer.started': { response_id?: string };
  'output_audio_buffer.stopped': { response_id?: string };
  'output_audio_buffer.cleared': { response_id?: string };
  'conversation.item.truncated': { item_id: string; content_index?: number; audio_end_ms: number };
  'session.updated': { session: SessionSummary };
  'rate_limits.updated': { rate_limits: readonly RateLimit[] };
  'response.created': { response: { id: string } };
  'response.output_item.done': { item: ConversationItem };
  'response.function_call_arguments.done': { item_id: string; arguments: string };
  'response.done': { response: ResponseSummary };
  'error': { error: { type?: string; code?: string | null; message?: string } };
}

export function is<T extends keyof ServerEvents>(event: RealtimeEvent, type: T): event is RealtimeEvent & ServerEvents[T] {
  return event.type === type;
}

export function parseEvent(data: unknown): RealtimeEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
      ? (value as RealtimeEvent)
      : null;
  } catch {
    return null;
  }
}

/** A message the page adds to the conversation: typed text, or an earlier turn carried into a new session. */
export interface ClientMessageItem {
  readonly id?: string;
  readonly type: 'message';
  readonly role: 'user' | 'assistant';
  readonly content: ReadonlyArray<{ readonly type: 'input_text' | 'output_text'; readonly text: string }>;
}

/** The user's answer to an `mcp_approval_request` item. */
export interface McpApprovalResponse {
  readonly type: 'mcp_approval_response';
  readonly approval_request_id: string;
  readonly approve: boolean;
}

/** The GA client events the page sends, by type: a misspelt event type or field does not compile. */
export interface ClientEvents {
  'session.update': { session: { type: 'realtime'; audio: { input: { turn_detection: TurnDetection } } } };
  'input_audio_buffer.commit': object;
  'input_audio_buffer.clear': object;
  'conversation.item.create': { item: ClientMessageItem | McpApprovalResponse };
  'response.create': object;
  'response.cancel': object;
  'output_audio_buffer.clear': object;
  /** WebSocket transport: what the user heard of an interrupted reply (WebRTC's OpenAI works this out itself). */
  'conversation.item.truncate': { item_id: string; content_index: number; audio_end_ms: number };
}

export type ClientEvent = { [T in keyof ClientEvents]: { readonly type: T } & Readonly<ClientEvents[T]> }[keyof ClientEvents];
