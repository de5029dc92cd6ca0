import { EventLog } from './event-log.js';
import { readPageConfig, SessionError } from './negotiation.js';
import { RealtimeSession } from './session.js';
import { TimeLimit } from './time-limit.js';
import { Transcript } from './transcript.js';
import { Waveform } from './waveform.js';

type UiState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected'; readonly session: RealtimeSession }
  | { readonly kind: 'disconnecting' }
  | { readonly kind: 'failed' };

const statusText: Record<UiState['kind'], string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  disconnecting: 'Disconnecting…',
  failed: 'Connection failed',
};

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The page is missing #${id}.`);
  return found;
}

const root = document.querySelector<HTMLElement>('main[data-negotiation]');
if (root === null) throw new Error('The page is missing its configuration.');
const config = readPageConfig(root);
const button = element('connect', HTMLButtonElement);
const status = element('status', HTMLElement);
const alert = element('error', HTMLElement);
const audio = element('assistant-audio', HTMLAudioElement);
const micCanvas = element('mic-wave', HTMLCanvasElement);
const assistantCanvas = element('assistant-wave', HTMLCanvasElement);
const transcript = new Transcript(element('transcript', HTMLOListElement));
const eventLog = new EventLog(element('event-log', HTMLOListElement));
const timeLimit = new TimeLimit(element('time-left', HTMLElement), Number(root.dataset['maxSessionSeconds'] ?? '900'));
// The button is rendered disabled when the server cannot start sessions.
const available = !button.disabled;

let state: UiState = { kind: 'idle' };
/** Everything the current attempt opened, so teardown can close it whatever stage it reached. */
let audioContext: AudioContext | null = null;
let waveforms: Waveform[] = [];
let pending: AbortController | null = null;

function setState(next: UiState): void {
  state = next;
  status.textContent = statusText[next.kind];
  status.dataset['state'] = next.kind;
  button.textContent = next.kind === 'connected' ? 'Disconnect' : 'Connect';
  button.disabled = !available || next.kind === 'connecting' || next.kind === 'disconnecting' || next.kind === 'failed';
}

function showError(message: string): void {
  alert.textContent = message;
  alert.hidden = false;
}

function clearError(): void {
  alert.textContent = '';
  alert.hidden = true;
}

async function connect(): Promise<void> {
  clearError();
  transcript.clear();
  eventLog.clear();
  setState({ kind: 'connecting' });
  // Created and resumed inside the click: mobile Safari only starts audio from a user gesture.
  audioContext = new AudioContext();
  void audioContext.resume();
  void audio.play().catch(() => undefined);
  pending = new AbortController();
  const context = audioContext;
  try {
    const session = await RealtimeSession.start(config, audio, {
      onEvent: (direction, event) => {
        eventLog.add(direction, event.type);
        if (direction === 'in') transcript.apply(event);
      },
      onRemoteStream: (stream) => waveforms.push(new Waveform(assistantCanvas, context, stream)),
      onRecoverableError: showError,
      onEnded: (message) => void fail(message),
    }, pending.signal);
    if (session.microphone !== null) waveforms.push(new Waveform(micCanvas, context, session.microphone));
    setState({ kind: 'connected', session });
    timeLimit.start(() => void fail(`The session reached its ${timeLimit.minutes}-minute limit. Click Connect to start a new one.`));
  } catch (error) {
    await fail(error instanceof SessionError ? error.message : 'Something went wrong while connecting. Try again.');
  } finally {
    pending = null;
  }
}

async function fail(message: string): Promise<void> {
  const session = state.kind === 'connected' ? state.session : null;
  setState({ kind: 'failed' });
  showError(message);
  await teardown(session);
  setState({ kind: 'idle' });
}

async function disconnect(): Promise<void> {
  if (state.kind !== 'connected') return;
  const { session } = state;
  setState({ kind: 'disconnecting' });
  await teardown(session);
  setState({ kind: 'idle' });
}

async function teardown(session: RealtimeSession | null): Promise<void> {
  pending?.abort();
  timeLimit.stop();
  waveforms.forEach((waveform) => waveform.dispose());
  waveforms = [];
  const context = audioContext;
  audioContext = null;
  await Promise.all([session?.close(), context?.close()]);
}

button.addEventListener('click', () => {
  if (state.kind === 'idle') void connect();
  else if (state.kind === 'connected') void disconnect();
});

// Closing the tab should not leave a billed call running until OpenAI notices.
window.addEventListener('pagehide', () => {
  if (state.kind === 'connected') void state.session.close();
});

setState(state);
