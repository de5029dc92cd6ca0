import { negotiate, SessionError, type PageConfig } from './negotiation.js';
import { is, parseEvent, type RealtimeEvent } from './protocol.js';

const connectTimeoutMs = 15_000;

export interface SessionCallbacks {
  onEvent(direction: 'in' | 'out', event: RealtimeEvent): void;
  onRemoteStream(stream: MediaStream): void;
  /** An `error` event the session survives. */
  onRecoverableError(message: string): void;
  /** The session ended without being asked to; the page should tear down. */
  onEnded(message: string): void;
}

/** One live WebRTC session with OpenAI: microphone out, assistant audio in, events on `oai-events`. */
export class RealtimeSession {
  readonly #pc = new RTCPeerConnection();
  readonly #channel = this.#pc.createDataChannel('oai-events');
  readonly #audio: HTMLAudioElement;
  readonly #callbacks: SessionCallbacks;
  #microphone: MediaStream | null = null;
  #hangUpUrl: string | null = null;
  #live = false;
  #closed = false;

  private constructor(audio: HTMLAudioElement, callbacks: SessionCallbacks) {
    this.#audio = audio;
    this.#callbacks = callbacks;
  }

  /** Connects, or cleans up everything it started and throws a SessionError worded for the user. */
  static async start(config: PageConfig, audio: HTMLAudioElement, callbacks: SessionCallbacks, signal: AbortSignal): Promise<RealtimeSession> {
    const session = new RealtimeSession(audio, callbacks);
    try {
      await session.#connect(config, signal);
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  get microphone(): MediaStream | null {
    return this.#microphone;
  }

  send(event: RealtimeEvent): void {
    if (this.#channel.readyState !== 'open') return;
    this.#channel.send(JSON.stringify(event));
    this.#callbacks.onEvent('out', event);
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
    if (this.#hangUpUrl !== null) {
      // keepalive lets the hang-up finish when the page is being closed.
      await fetch(this.#hangUpUrl, { method: 'DELETE', keepalive: true }).catch(() => undefined);
    }
  }

  async #connect(config: PageConfig, signal: AbortSignal): Promise<void> {
    this.#pc.addEventListener('track', (event) => {
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      this.#audio.srcObject = stream;
      void this.#audio.play().catch(() => undefined);
      this.#callbacks.onRemoteStream(stream);
    });
    this.#channel.addEventListener('message', (message) => this.#onMessage(message.data));
    this.#channel.addEventListener('close', () => this.#end('OpenAI closed the session. Click Connect to start a new one.'));
    this.#pc.addEventListener('connectionstatechange', () => {
      if (this.#pc.connectionState === 'failed') {
        this.#end('The audio connection to OpenAI was lost. Check your network and click Connect to try again.');
      }
    });

    const offer = this.#offerWithMicrophone();
    // Relay awaits the offer before any upstream call, so a refused microphone costs nothing.
    offer.catch(() => undefined);
    const { answer, hangUpUrl } = await negotiate(config, offer, signal);
    this.#hangUpUrl = hangUpUrl;
    await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await this.#opened();
    this.#live = true;
  }

  async #offerWithMicrophone(): Promise<string> {
    const microphone = await requestMicrophone();
    if (this.#closed) {
      microphone.getTracks().forEach((track) => track.stop());
      throw new SessionError('Connecting was cancelled.');
    }
    this.#microphone = microphone;
    for (const track of microphone.getAudioTracks()) this.#pc.addTrack(track, microphone);
    const offer = await this.#pc.createOffer();
    await this.#pc.setLocalDescription(offer);
    return offer.sdp ?? '';
  }

  #opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (): void => {
        cleanup();
        reject(new SessionError('Could not open an audio connection to OpenAI. A firewall or VPN may be blocking WebRTC; try another network.'));
      };
      const check = (): void => {
        if (this.#channel.readyState === 'open') {
          cleanup();
          resolve();
        } else if (this.#pc.connectionState === 'failed' || this.#channel.readyState === 'closed') {
          fail();
        }
      };
      const timer = setTimeout(fail, connectTimeoutMs);
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
    this.#callbacks.onEvent('in', event);
    if (!is(event, 'error')) return;
    const message = event.error.message ?? 'OpenAI reported an error.';
    if (event.error.code === 'session_expired') {
      this.#end('The session reached its time limit on OpenAI. Click Connect to start a new one.');
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

async function requestMicrophone(): Promise<MediaStream> {
  if (navigator.mediaDevices?.getUserMedia === undefined) {
    throw new SessionError('This browser cannot use a microphone here. Open the site over https in a current browser.');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    switch (name) {
      case 'NotAllowedError':
      case 'SecurityError':
        throw new SessionError('Microphone access was denied. Allow the microphone for this site (the icon in the address bar) and click Connect again.');
      case 'NotFoundError':
      case 'OverconstrainedError':
        throw new SessionError('No microphone was found. Connect one and click Connect again.');
      case 'NotReadableError':
        throw new SessionError('The microphone could not be started; another app may be using it.');
      default:
        throw new SessionError('The microphone could not be opened. Check your browser settings and try again.');
    }
  }
}
