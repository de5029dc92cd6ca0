import { NoPathError, SessionError } from './errors.js';
import { t } from './i18n.js';
import { negotiate, negotiatedChannelId, type SessionChoice } from './negotiation.js';
import type { PageConfig } from './page-config.js';
import { is, parseEvent, type ClientEvent, type RealtimeEvent } from './protocol.js';
import type { CallSession } from './transport.js';

const connectTimeoutMs = 15_000;
/** With the WebSocket to fall back on, a user waits this long, not the full timeout, for ICE to connect. */
const fallbackAfterMs = 5_000;

export interface SessionCallbacks {
  /** Every event from OpenAI, in arrival order. */
  onEvent(event: RealtimeEvent): void;
  /** Every event the page sent. */
  onSent(event: ClientEvent): void;
  /** An `error` event the session survives. */
  onRecoverableError(message: string): void;
  /** The session ended without being asked to; the page should tear down. */
  /** With `reconnect`, the call ended because this server went away (it stopped, or died): another may carry it on. */
  onEnded(message: string, reconnect?: boolean): void;
}

export interface MicrophoneChoice {
  /** '' is the system default. */
  readonly deviceId: string;
  /** Allowed already, and a device to open: the offer need not wait for the device (see DevicePicker). */
  readonly allowed: boolean;
}

/** One live WebRTC session with OpenAI: microphone out, assistant audio in, events on `oai-events`. */
export class RealtimeSession implements CallSession {
  readonly transport = 'WebRTC';
  readonly #pc = new RTCPeerConnection();
  // Audio first, then the channel: the order of OpenAI's own examples. The track joins when the device opens.
  readonly #sender = this.#pc.addTransceiver('audio', { direction: 'sendrecv' }).sender;
  readonly #channel: RTCDataChannel;
  readonly #audio: HTMLAudioElement;
  readonly #callbacks: SessionCallbacks;
  #microphone: MediaStream | null = null;
  #remote: MediaStream | null = null;
  #hangUpUrl: Promise<string | null> = Promise.resolve(null);
  #live = false;
  #closed = false;

  private constructor(config: PageConfig, audio: HTMLAudioElement, callbacks: SessionCallbacks) {
    this.#channel = this.#pc.createDataChannel('oai-events', config.preNegotiatedChannel ? { negotiated: true, id: negotiatedChannelId } : {});
    this.#audio = audio;
    this.#callbacks = callbacks;
  }

  /** Connects, or cleans up everything it started and throws a SessionError worded for the user. */
  static async start(
    config: PageConfig, choice: SessionChoice, audio: HTMLAudioElement, callbacks: SessionCallbacks, signal: AbortSignal, microphone: MicrophoneChoice,
    fallbackFollows = false,
  ): Promise<RealtimeSession> {
    const session = new RealtimeSession(config, audio, callbacks);
    try {
      await session.#connect(config, choice, microphone, signal, fallbackFollows ? fallbackAfterMs : connectTimeoutMs);
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /** The call's URL on this server, once the server knows the call (null: it never will). */
  get callUrl(): Promise<string | null> {
    return this.#hangUpUrl;
  }

  get microphone(): MediaStream | null {
    return this.#microphone;
  }

  /** The assistant's audio. */
  get remote(): MediaStream | null {
    return this.#remote;
  }

  /** Mute and push-to-talk: a disabled track keeps the call up but sends silence. */
  setMicrophoneEnabled(enabled: boolean): void {
    this.#microphone?.getAudioTracks().forEach((track) => { track.enabled = enabled; });
  }

  /**
   * Moves the call to another microphone without renegotiating: the new track replaces the old one
   * on the same sender, so OpenAI sees no change but the sound. The old device is released.
   */
  async switchMicrophone(deviceId: string): Promise<MediaStream> {
    const previous = this.#microphone;
    const enabled = previous?.getAudioTracks()[0]?.enabled ?? true;
    const next = await requestMicrophone(deviceId);
    const track = next.getAudioTracks()[0];
    if (this.#closed || track === undefined) {
      next.getTracks().forEach((stale) => stale.stop());
      throw new SessionError(t('err.switchMic'));
    }
    track.enabled = enabled;
    try {
      await this.#sender.replaceTrack(track);
    } catch {
      next.getTracks().forEach((stale) => stale.stop());
      throw new SessionError(t('err.switchMic'));
    }
    this.#microphone = next;
    previous?.getTracks().forEach((old) => old.stop());
    return next;
  }

  send(event: ClientEvent): void {
    if (this.#channel.readyState !== 'open') return;
    this.#channel.send(JSON.stringify(event));
    this.#callbacks.onSent(event);
  }

  /** Cancel stops generation; clearing the buffer stops what WebRTC has already queued for playback. */
  interrupt(): void {
    this.send({ type: 'response.cancel' });
    this.send({ type: 'output_audio_buffer.clear' });
  }

  /** Stops the microphone, closes the connection and hangs the call up. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = false;
    this.#microphone?.getTracks().forEach((track) => track.stop());
    this.#channel.close();
    this.#pc.close();
    this.#audio.srcObject = null;
    // A report still on its way is waited for: once the server knows the call, only a hang-up frees its slot.
    const hangUpUrl = await this.#hangUpUrl.catch(() => null);
    if (hangUpUrl !== null) {
      // keepalive lets the hang-up finish when the page is being closed.
      await fetch(hangUpUrl, { method: 'DELETE', keepalive: true }).catch(() => undefined);
    }
  }

  async #connect(config: PageConfig, choice: SessionChoice, microphone: MicrophoneChoice, signal: AbortSignal, timeoutMs: number): Promise<void> {
    this.#pc.addEventListener('track', (event) => {
      this.#remote = event.streams[0] ?? new MediaStream([event.track]);
      this.#audio.srcObject = this.#remote;
      void this.#audio.play().catch(() => undefined);
    });
    this.#channel.addEventListener('message', (message) => this.#onMessage(message.data));
    this.#channel.addEventListener('close', () => this.#end(t('err.closed')));
    this.#pc.addEventListener('connectionstatechange', () => {
      if (this.#pc.connectionState === 'failed') {
        this.#end(t('err.lost'));
      }
    });

    const opened = this.#openMicrophone(microphone.deviceId);
    opened.catch(() => undefined);
    // With no prompt to wait for, the offer (and OpenAI's round trip) starts at once. Otherwise
    // Relay makes no upstream call until the user has allowed the microphone.
    const offer = microphone.allowed ? this.#createOffer() : opened.then(() => this.#createOffer());
    offer.catch(() => undefined);
    const { answer, hangUpUrl } = await negotiate(config, choice, offer, signal);
    this.#hangUpUrl = hangUpUrl;
    await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer });
    // After an early offer a failing microphone still ends the attempt; start() then hangs the call up.
    await opened;
    await this.#opened(timeoutMs);
    // A call the server refuses to count (Direct mode: its slot lapsed) is not kept.
    await hangUpUrl;
    this.#live = true;
  }

  async #openMicrophone(deviceId: string): Promise<MediaStream> {
    const microphone = await requestMicrophone(deviceId);
    const [track] = microphone.getAudioTracks();
    if (this.#closed || track === undefined) {
      microphone.getTracks().forEach((stale) => stale.stop());
      throw new SessionError(t(this.#closed ? 'err.cancelled' : 'err.noMic'));
    }
    this.#microphone = microphone;
    await this.#sender.replaceTrack(track);
    this.#sender.setStreams(microphone);
    return microphone;
  }

  async #createOffer(): Promise<string> {
    const offer = await this.#pc.createOffer();
    await this.#pc.setLocalDescription(offer);
    return offer.sdp ?? '';
  }

  #opened(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (): void => {
        cleanup();
        reject(new NoPathError(t('err.noPath')));
      };
      const check = (): void => {
        if (this.#channel.readyState === 'open') {
          cleanup();
          resolve();
        } else if (this.#pc.connectionState === 'failed' || this.#channel.readyState === 'closed') {
          fail();
        }
      };
      const timer = setTimeout(fail, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#channel.removeEventListener('open', check);
        this.#channel.removeEventListener('close', check);
        this.#pc.removeEventListener('connectionstatechange', check);
      };
      this.#channel.addEventListener('open', check);
      this.#channel.addEventListener('close', check);
      this.#pc.addEventListener('connectionstatechange', check);
      check();
    });
  }

  #onMessage(data: unknown): void {
    const event = parseEvent(data);
    if (event === null) return;
    this.#callbacks.onEvent(event);
    if (!is(event, 'error')) return;
    const message = event.error.message ?? t('err.openAI');
    if (event.error.code === 'session_expired') {
      this.#end(t('err.expired'));
    } else {
      this.#callbacks.onRecoverableError(message);
    }
  }

  #end(message: string): void {
    if (!this.#live) return;
    this.#live = false;
    this.#callbacks.onEnded(message);
  }
}

/** The microphone with the browser's echo cancellation on: the assistant must not hear itself. */
export async function requestMicrophone(deviceId: string): Promise<MediaStream> {
  if (navigator.mediaDevices?.getUserMedia === undefined) {
    throw new SessionError(t('err.noMediaDevices'));
  }
  const audio: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (deviceId !== '') audio.deviceId = { exact: deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    switch (name) {
      case 'NotAllowedError':
      case 'SecurityError':
        throw new SessionError(t('err.micDenied'));
      case 'NotFoundError':
      case 'OverconstrainedError':
        throw new SessionError(t('err.noMic'));
      case 'NotReadableError':
        throw new SessionError(t('err.micBusy'));
      default:
        throw new SessionError(t('err.micOther'));
    }
  }
}
