/** The two ways a call reaches OpenAI, and which one this tab tries first. */
import type { MicrophoneChoice, SessionCallbacks } from './session.js';
import type { SessionChoice } from './negotiation.js';
import type { PageConfig, TransportName } from './page-config.js';
import type { ClientEvent } from './protocol.js';

/** A live call on either transport: the rest of the page never asks which. */
export interface CallSession {
  readonly transport: TransportName;
  /** The call's URL on this server, once the server knows the call (null: it never will). */
  readonly callUrl: Promise<string | null>;
  readonly microphone: MediaStream | null;
  /** The assistant's audio. */
  readonly remote: MediaStream | null;
  setMicrophoneEnabled(enabled: boolean): void;
  switchMicrophone(deviceId: string): Promise<MediaStream>;
  send(event: ClientEvent): void;
  /** Interrupt: the assistant stops at once, and the model's memory of the reply ends where the user stopped hearing it. */
  interrupt(): void;
  close(): Promise<void>;
}

export interface StartCall {
  start(config: PageConfig, choice: SessionChoice, audio: HTMLAudioElement, callbacks: SessionCallbacks, signal: AbortSignal,
    microphone: MicrophoneChoice, fallbackFollows: boolean): Promise<CallSession>;
}

const rememberedKey = 'realtimeRazor.transport';

/**
 * The configured transports in order, except that a tab whose call went through the WebSocket goes
 * straight there again: a network that blocked WebRTC a minute ago still does.
 */
export function transportOrder(configured: readonly TransportName[]): readonly TransportName[] {
  let remembered: string | null = null;
  try {
    remembered = sessionStorage.getItem(rememberedKey);
  } catch {
    // Storage can be disabled; then every call tries in the configured order.
  }
  return remembered === 'WebSocket' && configured.includes('WebSocket') ? ['WebSocket'] : configured;
}

export function rememberTransport(transport: TransportName): void {
  try {
    sessionStorage.setItem(rememberedKey, transport);
  } catch {
    // Not remembered: the next call tries in the configured order.
  }
}
