import { SessionError } from './errors.js';
import { t } from './i18n.js';
import { serverProblem, withChoice, type SessionChoice } from './negotiation.js';
import type { PageConfig } from './page-config.js';
import type { PlaybackCommand, PlaybackReport } from './playback-worklet.js';
import { is, parseEvent, type ClientEvent, type RealtimeEvent } from './protocol.js';
import { requestMicrophone, type MicrophoneChoice, type SessionCallbacks } from './session.js';
import type { CallSession } from './transport.js';

/** PCM16 mono at the WebSocket interface's rate, both ways. */
const connectTimeoutMs = 15_000;
/** The close reason the server gives its pages when it stops (RealtimeRelay.ServerStoppingReason). */
const serverStoppingReason = 'server_stopping';

/**
 * One live call over a WebSocket to this server, which relays it to OpenAI's Realtime WebSocket
 * interface: for networks where WebRTC cannot get through. The microphone is captured by an
 * AudioWorklet as PCM16 and sent in `input_audio_buffer.append` events; the assistant's audio deltas
 * play through a second worklet with a small jitter buffer. What WebRTC does inside OpenAI is done
 * here: an interruption stops playback at once and truncates the reply to what was heard, and the
 * playback events the rest of the page follows (`output_audio_buffer.*`) are reported as WebRTC's are.
 */
export class SocketSession implements CallSession {
  readonly transport = 'WebSocket';
  readonly callUrl: Promise<string | null> = Promise.resolve(null);
  readonly #audio: HTMLAudioElement;
  readonly #callbacks: SessionCallbacks;
  // At the device's own rate (the worklets convert from and to the interface's 24 kHz): Firefox cannot connect a
  // microphone to a context of another rate.
  readonly #context = new AudioContext({ latencyHint: 'interactive' });
  #socket: WebSocket | null = null;
  #capture: AudioWorkletNode | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #playback: AudioWorkletNode | null = null;
  #microphone: MediaStream | null = null;
  #remote: MediaStream | null = null;
  #speaking = false;
  #live = false;
  #closed = false;

  private constructor(audio: HTMLAudioElement, callbacks: SessionCallbacks) {
    this.#audio = audio;
    this.#callbacks = callbacks;
  }

  /** Connects, or cleans up everything it started and throws a SessionError worded for the user. */
  static async start(
    config: PageConfig, choice: SessionChoice, audio: HTMLAudioElement, callbacks: SessionCallbacks, signal: AbortSignal, microphone: MicrophoneChoice,
  ): Promise<SocketSession> {
    const session = new SocketSession(audio, callbacks);
    const abort = (): void => void session.close();
    signal.addEventListener('abort', abort);
    try {
      await session.#connect(config, choice, microphone.deviceId);
      return session;
    } catch (error) {
      await session.close();
      throw error instanceof SessionError ? error : new SessionError(t('err.connect'));
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  get microphone(): MediaStream | null {
    return this.#microphone;
  }

  get remote(): MediaStream | null {
    return this.#remote;
  }

  /** Mute and push-to-talk: a disabled track captures silence, as WebRTC sends it. */
  setMicrophoneEnabled(enabled: boolean): void {
    this.#microphone?.getAudioTracks().forEach((track) => { track.enabled = enabled; });
  }

  async switchMicrophone(deviceId: string): Promise<MediaStream> {
    const previous = this.#microphone;
    const enabled = previous?.getAudioTracks()[0]?.enabled ?? true;
    const next = await requestMicrophone(deviceId);
    if (this.#closed || this.#capture === null) {
      next.getTracks().forEach((stale) => stale.stop());
      throw new SessionError(t('err.switchMic'));
    }
    next.getAudioTracks().forEach((track) => { track.enabled = enabled; });
    this.#source?.disconnect();
    this.#source = this.#context.createMediaStreamSource(next);
    this.#source.connect(this.#capture);
    this.#microphone = next;
    previous?.getTracks().forEach((old) => old.stop());
    return next;
  }

  send(event: ClientEvent): void {
    this.#sendJson(event);
    this.#callbacks.onSent(event);
  }

  interrupt(): void {
    this.send({ type: 'response.cancel' });
    this.#stopPlayback();
  }

  /** Stops the microphone, the audio and the socket; the server then frees the call's slot and closes OpenAI's side. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = false;
    this.#microphone?.getTracks().forEach((track) => track.stop());
    this.#socket?.close(1000);
    this.#audio.srcObject = null;
    await this.#context.close().catch(() => undefined);
  }

  async #connect(config: PageConfig, choice: SessionChoice, deviceId: string): Promise<void> {
    const worklets = Promise.all([
      this.#context.audioWorklet.addModule(import.meta.resolve('./capture-worklet.js')),
      this.#context.audioWorklet.addModule(import.meta.resolve('./playback-worklet.js')),
    ]);
    const microphone = requestMicrophone(deviceId);
    microphone.catch(() => undefined);
    void this.#context.resume();
    await worklets;
    this.#microphone = await microphone;
    if (this.#closed) throw new SessionError(t('err.cancelled'));
    this.#startPlayback();
    await this.#open(config, choice);
    this.#startCapture(this.#microphone);
    this.#live = true;
  }

  #startPlayback(): void {
    const playback = new AudioWorkletNode(this.#context, 'pcm-playback', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
    const destination = this.#context.createMediaStreamDestination();
    playback.connect(destination);
    playback.port.onmessage = (message: MessageEvent<PlaybackReport>) => this.#onPlayback(message.data);
    this.#playback = playback;
    // Through the page's audio element, like WebRTC's stream: the chosen speaker and the waveform apply alike.
    this.#remote = destination.stream;
    this.#audio.srcObject = this.#remote;
    void this.#audio.play().catch(() => undefined);
  }

  #startCapture(microphone: MediaStream): void {
    const capture = new AudioWorkletNode(this.#context, 'pcm-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
    capture.port.onmessage = (message: MessageEvent<ArrayBuffer>) => this.#sendJson({ type: 'input_audio_buffer.append', audio: toBase64(message.data) });
    this.#source = this.#context.createMediaStreamSource(microphone);
    this.#source.connect(capture);
    this.#capture = capture;
  }

  /** Resolves once OpenAI has greeted the session through the server; rejects when the socket fails first. */
  #open(config: PageConfig, choice: SessionChoice): Promise<void> {
    const url = new URL(withChoice(config.socketUrl, choice), location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.#socket = socket;
    let opened = false;
    socket.addEventListener('open', () => { opened = true; }, { once: true });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SessionError(t('err.noPath'))), connectTimeoutMs);
      socket.addEventListener('message', (message) => {
        const event = parseEvent(message.data);
        if (event?.type === 'session.created') {
          clearTimeout(timer);
          resolve();
        }
        if (event !== null) this.#onEvent(event);
      });
      socket.addEventListener('close', (closed) => {
        clearTimeout(timer);
        // The server's own end at the maximum length reads as the page's countdown does, whichever came first.
        // The server stopping (or dying: the connection drops without a close frame, 1006) is not the call's end:
        // the page reconnects, through another instance behind the same address, with the conversation so far.
        const serverGone = opened && (closed.reason === serverStoppingReason || closed.code === 1006);
        if (serverGone) this.#end(t('err.serverGone'), true);
        else this.#end(closed.reason === 'time_limit' ? t('err.timeLimit', { minutes: Math.round(config.maxSessionSeconds / 60) }) : t('err.closed'));
        // A refused handshake (a cap, the budget, the sign-in) reaches a page as a bare close: the server says why.
        if (opened) reject(new SessionError(t('err.connect')));
        else void refusalOf(url).then((text) => reject(new SessionError(text)));
      });
    });
  }

  #onEvent(event: RealtimeEvent): void {
    if (event.type === 'response.output_audio.delta') {
      // Played, not shown: WebRTC delivers these as media, never as events.
      const { item_id: itemId, delta } = event as RealtimeEvent & { item_id?: unknown; delta?: unknown };
      if (typeof itemId === 'string' && typeof delta === 'string') this.#play({ type: 'audio', itemId, pcm: fromBase64(delta) });
      return;
    }
    if (event.type === 'response.output_audio.done') this.#play({ type: 'end' });
    // The user talking over the reply: WebRTC's OpenAI stops its own playback; here it is the page's.
    if (is(event, 'input_audio_buffer.speech_started') && this.#speaking) this.#stopPlayback();
    this.#callbacks.onEvent(event);
    if (!is(event, 'error')) return;
    const message = event.error.message ?? t('err.openAI');
    if (event.error.code === 'session_expired') this.#end(t('err.expired'));
    else this.#callbacks.onRecoverableError(message);
  }

  #play(command: PlaybackCommand): void {
    if (command.type === 'audio') this.#playback?.port.postMessage(command, [command.pcm]);
    else this.#playback?.port.postMessage(command);
  }

  /** Playback stops at once; the worklet answers with what it played, for the truncation. */
  #stopPlayback(): void {
    this.#play({ type: 'clear' });
  }

  #onPlayback(report: PlaybackReport): void {
    switch (report.type) {
      case 'started':
        if (this.#speaking) return;
        this.#speaking = true;
        this.#callbacks.onEvent({ type: 'output_audio_buffer.started' });
        return;
      case 'drained':
        this.#speaking = false;
        this.#callbacks.onEvent({ type: 'output_audio_buffer.stopped' });
        return;
      case 'cleared':
        if (!this.#speaking) return;
        this.#speaking = false;
        // The model's memory of the reply ends where the user stopped hearing it.
        if (report.itemId !== null) {
          this.send({ type: 'conversation.item.truncate', item_id: report.itemId, content_index: 0, audio_end_ms: report.playedMs });
        }
        this.#callbacks.onEvent({ type: 'output_audio_buffer.cleared' });
        return;
    }
  }

  #sendJson(event: object): void {
    if (this.#socket?.readyState !== WebSocket.OPEN) return;
    this.#socket.send(JSON.stringify(event));
  }

  #end(message: string, reconnect = false): void {
    if (!this.#live) return;
    this.#live = false;
    this.#callbacks.onEnded(message, reconnect);
  }
}

/**
 * Why the server refused this socket: the same address, asked with a plain GET, answers with the same
 * checks' problem (said in the page's language, as on WebRTC), or `web_socket_required` when nothing stood in the way.
 */
async function refusalOf(socketUrl: URL): Promise<string> {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  try {
    const response = await fetch(url, { cache: 'no-store' });
    const problem: unknown = await response.clone().json().catch(() => null);
    const unexplained = typeof problem === 'object' && problem !== null && (problem as Record<string, unknown>)['code'] === 'web_socket_required';
    if (!response.ok && !unexplained) return await serverProblem(response);
  } catch {
    // The server cannot be reached either: nothing more to say than the general failure.
  }
  return t('err.connect');
}

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}
