import { t } from './i18n.js';
import type { TurnDetection } from './page-config.js';
import { is, type RealtimeEvent } from './protocol.js';
import type { CallSession } from './transport.js';
import type { Transcript } from './transcript.js';

export interface ControlElements {
  readonly mute: HTMLButtonElement;
  readonly pushToTalk: HTMLInputElement;
  readonly hold: HTMLButtonElement;
  readonly holdHint: HTMLElement;
  readonly interrupt: HTMLButtonElement;
  readonly messageForm: HTMLFormElement;
  readonly message: HTMLInputElement;
  readonly send: HTMLButtonElement;
  readonly userIndicator: HTMLElement;
  readonly assistantIndicator: HTMLElement;
}

/** Elements whose own Space handling (typing, toggling, pressing) must win over push-to-talk. */
function ownsSpace(target: EventTarget | null, hold: HTMLElement): boolean {
  if (!(target instanceof HTMLElement) || target === hold) return false;
  return target.isContentEditable || target.closest('input, textarea, select, button, summary, a[href]') !== null;
}

/**
 * Everything the user does during a session besides connecting: mute, push-to-talk, typed
 * messages and interrupting, plus who is speaking. Whether the microphone sends is decided in one
 * place (#applyMicrophone) from mute and push-to-talk together. Lives as long as the page; sessions
 * come and go through attach and detach.
 */
export class ConversationControls {
  readonly #elements: ControlElements;
  readonly #transcript: Transcript;
  #session: CallSession | null = null;
  /** The session's configured turn detection, restored when push-to-talk is switched off. */
  #turnDetection: TurnDetection = null;
  #muted = false;
  #holding = false;
  #userSpeaking = false;
  #assistantSpeaking = false;
  /** The reply being spoken, so Interrupt marks that line and never an earlier one. */
  #replyItem: string | null = null;

  constructor(elements: ControlElements, transcript: Transcript) {
    this.#elements = elements;
    this.#transcript = transcript;
    const { mute, pushToTalk, hold, interrupt, messageForm } = elements;
    mute.addEventListener('click', () => {
      this.#muted = !this.#muted;
      this.#render();
    });
    pushToTalk.addEventListener('change', () => this.#onModeChange());
    hold.addEventListener('pointerdown', (event) => {
      hold.setPointerCapture(event.pointerId);
      this.#press();
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) {
      hold.addEventListener(type, () => this.#release());
    }
    // A long press on a phone would otherwise open the context menu and cancel the pointer.
    hold.addEventListener('contextmenu', (event) => event.preventDefault());
    document.addEventListener('keydown', (event) => {
      if (event.code !== 'Space' || !this.#pushToTalkActive || ownsSpace(event.target, hold)) return;
      event.preventDefault();
      if (!event.repeat) this.#press();
    });
    document.addEventListener('keyup', (event) => {
      if (event.code !== 'Space' || !this.#holding) return;
      event.preventDefault();
      this.#release();
    });
    // Releasing Space in another window must not leave the microphone open.
    window.addEventListener('blur', () => this.#release());
    interrupt.addEventListener('click', () => this.#interrupt());
    messageForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#sendMessage();
    });
    this.#render();
  }

  /** The chosen preset's turn detection; a preset without one can only be used with push-to-talk. */
  setTurnDetection(turnDetection: TurnDetection): void {
    this.#turnDetection = turnDetection;
    if (turnDetection === null) this.#elements.pushToTalk.checked = true;
    this.#render();
  }

  attach(session: CallSession): void {
    this.#session = session;
    if (this.#elements.pushToTalk.checked && this.#turnDetection !== null) this.#sendTurnDetection(null);
    this.#render();
  }

  detach(): void {
    this.#session = null;
    this.#holding = false;
    this.#userSpeaking = false;
    this.#assistantSpeaking = false;
    this.#replyItem = null;
    this.#render();
  }

  onServerEvent(event: RealtimeEvent): void {
    if (is(event, 'response.created')) this.#replyItem = null;
    else if (is(event, 'conversation.item.added') && event.item.role === 'assistant') this.#replyItem = event.item.id;
    else if (is(event, 'response.output_audio_transcript.delta')) this.#replyItem = event.item_id;

    if (is(event, 'input_audio_buffer.speech_started')) this.#userSpeaking = true;
    else if (is(event, 'input_audio_buffer.speech_stopped')) this.#userSpeaking = false;
    else if (is(event, 'output_audio_buffer.started')) this.#assistantSpeaking = true;
    else if (is(event, 'output_audio_buffer.stopped') || is(event, 'output_audio_buffer.cleared')) this.#assistantSpeaking = false;
    // A finished response may still be playing; only one that ended early has nothing left to interrupt.
    else if (is(event, 'response.done') && event.response.status !== 'completed') this.#assistantSpeaking = false;
    else return;
    this.#render();
  }

  get #pushToTalkActive(): boolean {
    return this.#session !== null && this.#elements.pushToTalk.checked;
  }

  #onModeChange(): void {
    if (this.#session !== null) this.#sendTurnDetection(this.#elements.pushToTalk.checked ? null : this.#turnDetection);
    this.#holding = false;
    this.#render();
  }

  #sendTurnDetection(turnDetection: TurnDetection): void {
    this.#session?.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: turnDetection } } } });
  }

  #press(): void {
    if (!this.#pushToTalkActive || this.#holding) return;
    this.#holding = true;
    // Whatever the microphone picked up before the press is not part of this turn.
    this.#session?.send({ type: 'input_audio_buffer.clear' });
    this.#render();
  }

  #release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#render();
    this.#session?.send({ type: 'input_audio_buffer.commit' });
    this.#session?.send({ type: 'response.create' });
  }

  #interrupt(): void {
    if (this.#session === null || !this.#assistantSpeaking) return;
    this.#session.interrupt();
    if (this.#replyItem !== null) this.#transcript.markInterrupted(this.#replyItem);
    this.#assistantSpeaking = false;
    this.#render();
  }

  #sendMessage(): void {
    const text = this.#elements.message.value.trim();
    if (this.#session === null || text === '') return;
    // The line appears when OpenAI echoes the item (conversation.item.added), in conversation order.
    this.#session.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.#session.send({ type: 'response.create' });
    this.#elements.message.value = '';
  }

  #applyMicrophone(): void {
    const sending = !this.#muted && (!this.#elements.pushToTalk.checked || this.#holding);
    this.#session?.setMicrophoneEnabled(sending);
  }

  #render(): void {
    const { mute, pushToTalk, hold, holdHint, interrupt, message, send, userIndicator, assistantIndicator } = this.#elements;
    const live = this.#session !== null;
    this.#applyMicrophone();
    mute.disabled = !live;
    mute.textContent = t(this.#muted ? 'unmute' : 'mute');
    mute.dataset['muted'] = String(this.#muted);
    // Without server turn detection, switching push-to-talk off would leave nothing to end a turn.
    pushToTalk.disabled = this.#turnDetection === null;
    hold.hidden = !pushToTalk.checked;
    holdHint.hidden = !pushToTalk.checked;
    hold.disabled = !live;
    hold.dataset['holding'] = String(this.#holding);
    interrupt.disabled = !live || !this.#assistantSpeaking;
    message.disabled = !live;
    send.disabled = !live;
    const userState = this.#muted ? 'muted' : this.#userSpeaking || this.#holding ? 'speaking' : 'quiet';
    userIndicator.dataset['state'] = userState;
    userIndicator.textContent = t(`user.${userState}`);
    const assistantState = this.#assistantSpeaking ? 'speaking' : 'quiet';
    assistantIndicator.dataset['state'] = assistantState;
    assistantIndicator.textContent = t(`assistant.${assistantState}`);
  }
}
