import { t } from './i18n.js';
import { is, type ConversationItem, type RealtimeEvent } from './protocol.js';

export type Speaker = 'user' | 'assistant';

/** A tool call gets its own line, but is not a turn: exports and carried-over context leave it out. */
type LineKind = Speaker | 'tool';

/** Tool arguments and results are shown in short: the line says what ran, not everything it returned. */
const toolTextLimit = 80;

export function speakerLabel(speaker: Speaker): string {
  return t(speaker === 'user' ? 'you' : 'assistant');
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > toolTextLimit ? `${flat.slice(0, toolTextLimit - 1)}…` : flat;
}

/** The server reports a failed tool as `{"error": "..."}`. */
function failed(output: string): boolean {
  try {
    const value: unknown = JSON.parse(output);
    return typeof value === 'object' && value !== null && 'error' in value;
  } catch {
    return false;
  }
}

/** One finished or streaming line, in conversation order, for export and for carrying into a new session. */
export interface TranscriptEntry {
  readonly itemId: string;
  readonly speaker: Speaker;
  readonly text: string;
  readonly interrupted: boolean;
}

interface Line {
  readonly element: HTMLLIElement;
  readonly text: HTMLSpanElement;
  placed: boolean;
  /** Everything the model said for this item, heard or not. */
  full: string;
  /** How many characters of it the user heard before cutting in; null while nothing was cut. */
  heard: number | null;
}

/** A typical speaking rate, until this call's own replies have shown the voice's. */
const typicalCharactersPerSecond = 15;

/**
 * The conversation as the model sees it: lines are placed by item id and previous_item_id, so a
 * user transcription that completes after the assistant has answered still lands above the answer.
 */
export class Transcript {
  readonly #list: HTMLOListElement;
  readonly #lines = new Map<string, Line>();
  /** Tool lines by the call's call_id, where the server's function_call_output finds them. */
  readonly #toolCalls = new Map<string, string>();
  #nextId = 0;
  /** The assistant's speaking rate, learnt from replies played to the end: where a cut reply stopped. */
  #charactersPerSecond = typicalCharactersPerSecond;
  #playing: { readonly responseId: string; readonly since: number } | null = null;
  readonly #responseItems = new Map<string, readonly string[]>();

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  /** Applies one server event; returns whether it was a transcript event. */
  apply(event: RealtimeEvent): boolean {
    if (is(event, 'conversation.item.added') || is(event, 'conversation.item.done')) {
      this.#placeItem(event.item, event.previous_item_id);
    } else if (is(event, 'response.output_item.done')) {
      if (event.item.type === 'function_call') this.#showToolCall(event.item);
      else if (event.item.type === 'mcp_call') this.#showMcpCall(event.item);
    } else if (is(event, 'response.function_call_arguments.done')) {
      this.#showToolArguments(event.item_id, event.arguments);
    } else if (is(event, 'input_audio_buffer.committed')) {
      this.#place(event.item_id, event.previous_item_id, 'user');
    } else if (is(event, 'conversation.item.input_audio_transcription.delta')) {
      this.#append(event.item_id, 'user', event.delta);
    } else if (is(event, 'conversation.item.input_audio_transcription.completed')) {
      this.#finish(event.item_id, 'user', event.transcript.trim() || t('noSpeech'));
    } else if (is(event, 'conversation.item.input_audio_transcription.failed')) {
      this.#finish(event.item_id, 'user', t('transcriptionUnavailable'));
    } else if (is(event, 'response.output_audio_transcript.delta') || is(event, 'response.output_text.delta')) {
      this.#append(event.item_id, 'assistant', event.delta);
    } else if (is(event, 'response.output_audio_transcript.done')) {
      this.#finish(event.item_id, 'assistant', event.transcript);
    } else if (is(event, 'response.output_text.done')) {
      this.#finish(event.item_id, 'assistant', event.text);
    } else if (is(event, 'response.done')) {
      this.#responseItems.set(event.response.id, event.response.output?.map((item) => item.id) ?? []);
      // Cancelled by the Interrupt button or by the user talking over it (server VAD).
      if (event.response.status === 'cancelled') event.response.output?.forEach((item) => this.markInterrupted(item.id));
    } else if (is(event, 'conversation.item.truncated')) {
      // The user cut in, possibly long after the reply was written: keep what was heard, as the model now does.
      this.#cut(event.item_id, event.audio_end_ms);
    } else if (is(event, 'output_audio_buffer.started')) {
      this.#playing = event.response_id === undefined ? null : { responseId: event.response_id, since: performance.now() };
    } else if (is(event, 'output_audio_buffer.stopped')) {
      this.#learnRate(event.response_id);
    } else if (is(event, 'output_audio_buffer.cleared')) {
      this.#playing = null;
    } else {
      return false;
    }
    return true;
  }

  /** Marks a reply that was cut off, visibly and for screen readers (the marker is part of the line's text). */
  markInterrupted(itemId: string): void {
    const line = this.#lines.get(itemId);
    if (line === undefined || line.element.dataset['interrupted'] === 'true') return;
    line.element.dataset['interrupted'] = 'true';
    line.element.removeAttribute('aria-busy');
    const note = document.createElement('span');
    note.className = 'note';
    note.textContent = t('interrupted');
    line.element.append(' ', note);
  }

  entries(): TranscriptEntry[] {
    const entries: TranscriptEntry[] = [];
    for (const element of this.#list.querySelectorAll<HTMLLIElement>(':scope > li')) {
      const speaker = element.dataset['speaker'];
      const itemId = element.dataset['itemId'];
      if (element.hidden || itemId === undefined || (speaker !== 'user' && speaker !== 'assistant')) continue;
      const text = element.querySelector('.text')?.textContent ?? '';
      entries.push({ itemId, speaker, text, interrupted: element.dataset['interrupted'] === 'true' });
    }
    return entries;
  }

  clear(): void {
    this.#lines.clear();
    this.#responseItems.clear();
    this.#playing = null;
    this.#list.replaceChildren();
  }

  /**
   * OpenAI reports where playback stopped in milliseconds, not characters: the line is cut at the point
   * this voice's rate reaches by then, at a word boundary when one is near (not in Chinese or Japanese).
   */
  #cut(itemId: string, audioEndMs: number): void {
    const line = this.#lines.get(itemId);
    if (line === undefined) return;
    line.heard = Math.max(0, Math.round((audioEndMs / 1000) * this.#charactersPerSecond));
    this.#show(line);
    this.markInterrupted(itemId);
  }

  /** A reply heard to the end tells how fast this voice speaks: its characters over the time it played. */
  #learnRate(responseId: string | undefined): void {
    const playing = this.#playing;
    this.#playing = null;
    if (playing === null || playing.responseId !== responseId) return;
    const seconds = (performance.now() - playing.since) / 1000;
    const characters = (this.#responseItems.get(playing.responseId) ?? [])
      .map((id) => this.#lines.get(id))
      .reduce((sum, line) => sum + (line?.element.dataset['speaker'] === 'assistant' && line.heard === null ? line.full.length : 0), 0);
    if (seconds < 1 || characters === 0) return;
    const rate = Math.min(40, Math.max(4, characters / seconds));
    this.#charactersPerSecond = (this.#charactersPerSecond + rate) / 2;
  }

  #show(line: Line): void {
    line.text.textContent = line.heard === null || line.heard >= line.full.length ? line.full : heardPart(line.full, line.heard);
  }

  #placeItem(item: ConversationItem, previousId: string | null | undefined): void {
    if (item.type === 'function_call') {
      this.#place(item.id, previousId, null);
      this.#showToolCall(item);
      return;
    }
    if (item.type === 'mcp_call') {
      this.#place(item.id, previousId, null);
      this.#showMcpCall(item);
      return;
    }
    if (item.type === 'function_call_output') {
      // Placed for the order of later items, but shown on its call's line.
      this.#place(item.id, previousId, null);
      this.#showToolResult(item.call_id, item.output ?? '');
      return;
    }
    const speaker = item.type === 'message' && (item.role === 'user' || item.role === 'assistant') ? item.role : null;
    const line = this.#place(item.id, previousId, speaker);
    // Typed messages arrive complete; audio items wait for their transcript events.
    const typed = item.content?.find((part) => part.type === 'input_text' || part.type === 'text' || part.type === 'output_text');
    if (speaker !== null && typed?.text !== undefined && line.full === '') {
      this.#finish(item.id, speaker, typed.text);
    }
  }

  #showToolCall(item: ConversationItem): void {
    if (item.call_id !== undefined) this.#toolCalls.set(item.call_id, item.id);
    const line = this.#lineFor(item.id, 'tool');
    if (line.element.dataset['state'] === 'final') return;
    const name = line.element.querySelector('.tool-name') ?? line.text.appendChild(Object.assign(document.createElement('span'), { className: 'tool-name' }));
    name.textContent = item.name ?? '';
    if (item.arguments !== undefined) this.#showToolArguments(item.id, item.arguments);
  }

  /** A remote MCP tool OpenAI called: one item carries the call and, once done, its output or error. */
  #showMcpCall(item: ConversationItem): void {
    this.#showToolCall({ ...item, call_id: item.id, name: `${item.server_label ?? '?'}: ${item.name ?? '?'}` });
    if (item.error !== undefined && item.error !== null) this.#showToolResult(item.id, JSON.stringify({ error: item.error }));
    else if (item.output !== undefined && item.output !== null) this.#showToolResult(item.id, item.output);
  }

  #showToolArguments(itemId: string, args: string): void {
    const line = this.#lines.get(itemId);
    if (line?.element.dataset['speaker'] !== 'tool') return;
    const shown = line.element.querySelector('.tool-arguments') ?? line.text.appendChild(Object.assign(document.createElement('span'), { className: 'tool-arguments' }));
    shown.textContent = ` ${shorten(args)}`;
  }

  #showToolResult(callId: string | undefined, output: string): void {
    const itemId = callId === undefined ? undefined : this.#toolCalls.get(callId);
    const line = itemId === undefined ? undefined : this.#lines.get(itemId);
    if (line === undefined) return;
    const result = line.element.querySelector('.tool-result') ?? line.text.appendChild(Object.assign(document.createElement('span'), { className: 'tool-result' }));
    result.textContent = ` → ${failed(output) ? t('toolFailed') : shorten(output)}`;
    line.element.dataset['state'] = 'final';
    line.element.dataset['failed'] = String(failed(output));
  }

  /** Creates the line if needed and moves it after its predecessor once that is known. */
  #place(itemId: string, previousId: string | null | undefined, speaker: LineKind | null): Line {
    const line = this.#lineFor(itemId, speaker);
    if (previousId === undefined || line.placed) return line;
    const previous = previousId === null ? undefined : this.#lines.get(previousId);
    if (previousId === null) {
      this.#list.prepend(line.element);
    } else if (previous !== undefined) {
      previous.element.after(line.element);
    }
    // An unknown predecessor (from before this page joined) keeps the line at the end.
    line.placed = true;
    return line;
  }

  #append(itemId: string, speaker: Speaker, delta: string): void {
    const line = this.#lineFor(itemId, speaker);
    line.full += delta;
    this.#show(line);
    line.element.setAttribute('aria-busy', 'true');
    line.element.dataset['state'] = 'streaming';
  }

  #finish(itemId: string, speaker: Speaker, text: string): void {
    const line = this.#lineFor(itemId, speaker);
    line.full = text;
    this.#show(line);
    line.element.removeAttribute('aria-busy');
    line.element.dataset['state'] = 'final';
  }

  #lineFor(itemId: string, speaker: LineKind | null): Line {
    let line = this.#lines.get(itemId);
    if (line === undefined) {
      const element = document.createElement('li');
      element.dataset['itemId'] = itemId;
      element.hidden = true;
      const text = document.createElement('span');
      text.className = 'text';
      element.append(text);
      this.#list.append(element);
      line = { element, text, placed: false, full: '', heard: null };
      this.#lines.set(itemId, line);
    }
    if (speaker !== null && line.element.hidden) this.#label(line, speaker);
    return line;
  }

  #label(line: Line, speaker: LineKind): void {
    const label = document.createElement('span');
    label.className = 'speaker';
    label.id = `speaker-${this.#nextId++}`;
    label.textContent = speaker === 'tool' ? t('tool') : speakerLabel(speaker);
    line.element.prepend(label);
    line.element.setAttribute('aria-labelledby', label.id);
    line.element.dataset['speaker'] = speaker;
    line.element.hidden = false;
  }
}

/** The first `characters` of `text`, ending at the last word boundary within a few characters before that point. */
function heardPart(text: string, characters: number): string {
  const head = text.slice(0, characters);
  const boundary = head.search(/\s\S*$/);
  return (boundary > 0 && characters - boundary <= 12 ? head.slice(0, boundary) : head).trimEnd();
}
