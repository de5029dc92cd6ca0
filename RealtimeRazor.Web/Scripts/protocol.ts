// The slice of OpenAI's GA Realtime event contract this page reads or sends.

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
