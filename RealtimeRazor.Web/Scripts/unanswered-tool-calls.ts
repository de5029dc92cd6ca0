/**
 * The server answers the model's function calls on a WebRTC call from its sideband. A call that comes while
 * no instance hears the call (the one running it died and no survivor has taken it over yet), or whose tool
 * was running on the instance that died, is never answered, and the conversation waits for it. This page
 * sees every function call and its output on its own data channel: a call still without an output after
 * the grace is reported to the server (its item id only), which asks OpenAI for the item and answers it.
 */
import { is, type RealtimeEvent } from './protocol.js';

/**
 * Longer than a takeover (a dead instance's lease lapses within 3 s and a survivor reopens the sideband
 * within ~3.2 s of the kill), so the survivor is there to hear the report. A tool that runs longer is
 * reported needlessly but harmlessly: the server runs each call once.
 */
const unansweredGraceMs = 8_000;

export class UnansweredToolCalls {
  /** Calls waiting for their output, by call_id. */
  readonly #waiting = new Map<string, ReturnType<typeof setTimeout>>();
  /** Calls answered or reported: never watched again. */
  readonly #settled = new Set<string>();
  readonly #callUrl: Promise<string | null>;
  #disposed = false;

  /** `callUrl`: the call's URL on this server (null: the server does not know the call, and nothing is reported). */
  constructor(callUrl: Promise<string | null>) {
    this.#callUrl = callUrl.catch(() => null);
  }

  apply(event: RealtimeEvent): void {
    if (this.#disposed) return;
    if (is(event, 'response.output_item.done')) {
      this.#seen(event.item);
    } else if (is(event, 'response.done')) {
      event.response.output?.forEach((item) => this.#seen(item));
    } else if (is(event, 'conversation.item.added') || is(event, 'conversation.item.done')) {
      if (event.item.type === 'function_call_output' && event.item.call_id !== undefined) this.#answered(event.item.call_id);
    }
  }

  /** The call ended: nothing is reported for it any more. */
  dispose(): void {
    this.#disposed = true;
    this.#waiting.forEach((timer) => clearTimeout(timer));
    this.#waiting.clear();
  }

  #seen(item: { readonly id: string; readonly type?: string | undefined; readonly call_id?: string | undefined }): void {
    const callId = item.call_id;
    if (item.type !== 'function_call' || callId === undefined || this.#settled.has(callId) || this.#waiting.has(callId)) return;
    this.#waiting.set(callId, setTimeout(() => void this.#report(callId, item.id), unansweredGraceMs));
  }

  #answered(callId: string): void {
    clearTimeout(this.#waiting.get(callId));
    this.#waiting.delete(callId);
    this.#settled.add(callId);
  }

  async #report(callId: string, itemId: string): Promise<void> {
    this.#waiting.delete(callId);
    this.#settled.add(callId);
    const url = await this.#callUrl;
    if (url === null || this.#disposed) return;
    try {
      await fetch(`${url}/unanswered`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ itemId }) });
    } catch {
      // The server cannot be reached: the conversation is no worse off than without the report.
    }
  }
}
