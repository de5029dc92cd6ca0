import { ConversationControls } from './controls.js';
import { DevicePicker } from './devices.js';
import { EventLog } from './event-log.js';
import { download, fileStem, toJson, toMarkdown } from './export.js';
import { pageData, t } from './i18n.js';
import { readPageConfig, SessionError, type SessionChoice } from './negotiation.js';
import { is, type RealtimeEvent } from './protocol.js';
import { RealtimeSession } from './session.js';
import { TimeLimit } from './time-limit.js';
import { Transcript, type TranscriptEntry } from './transcript.js';
import { UsageMeter } from './usage.js';
import { Waveform } from './waveform.js';

type UiState =
  | { readonly kind: 'idle'; readonly resumable: boolean }
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected'; readonly session: RealtimeSession }
  | { readonly kind: 'disconnecting' }
  | { readonly kind: 'failed' };

/** How many transcript lines a reconnected session gets as context: enough to go on, not a whole hour of tokens. */
const carriedLines = 10;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The page is missing #${id}.`);
  return found;
}

function optionalElement<T extends HTMLElement>(id: string, type: new () => T): T | null {
  const found = document.getElementById(id);
  return found instanceof type ? found : null;
}

const root = document.querySelector<HTMLElement>('main[data-negotiation]');
if (root === null) throw new Error('The page is missing its configuration.');
const config = readPageConfig(root);
const button = element('connect', HTMLButtonElement);
const reconnectButton = element('reconnect', HTMLButtonElement);
const status = element('status', HTMLElement);
const alert = element('error', HTMLElement);
const audio = element('assistant-audio', HTMLAudioElement);
const micCanvas = element('mic-wave', HTMLCanvasElement);
const assistantCanvas = element('assistant-wave', HTMLCanvasElement);
const presetSelect = optionalElement('preset', HTMLSelectElement);
const instructionsInput = optionalElement('instructions', HTMLTextAreaElement);
const exportNote = element('export-note', HTMLElement);
const transcript = new Transcript(element('transcript', HTMLOListElement));
const eventLog = new EventLog(element('event-log', HTMLOListElement));
const timeLimit = new TimeLimit(element('time-left', HTMLElement), Number(root.dataset['maxSessionSeconds'] ?? '900'));
const usage = new UsageMeter({
  total: element('usage-total', HTMLElement),
  input: element('usage-input', HTMLElement),
  output: element('usage-output', HTMLElement),
  cost: element('usage-cost', HTMLElement),
}, pageData.price);
const controls = new ConversationControls({
  mute: element('mute', HTMLButtonElement),
  pushToTalk: element('push-to-talk', HTMLInputElement),
  hold: element('hold-to-talk', HTMLButtonElement),
  holdHint: element('hold-hint', HTMLElement),
  interrupt: element('interrupt', HTMLButtonElement),
  messageForm: element('message-form', HTMLFormElement),
  message: element('message', HTMLInputElement),
  send: element('send', HTMLButtonElement),
  userIndicator: element('user-speaking', HTMLElement),
  assistantIndicator: element('assistant-speaking', HTMLElement),
}, transcript);
const devices = new DevicePicker(
  element('microphone', HTMLSelectElement), element('speaker', HTMLSelectElement), element('speaker-field', HTMLElement), audio,
  { onMicrophone: (deviceId) => void switchMicrophone(deviceId), onError: showError },
);
// The server says whether it can start sessions; the button stays disabled until this script runs.
const available = button.dataset['available'] === 'true';

let state: UiState = { kind: 'idle', resumable: false };
/** Everything the current attempt opened, so teardown can close it whatever stage it reached. */
let audioContext: AudioContext | null = null;
let waveforms: Waveform[] = [];
let micWaveform: Waveform | null = null;
let pending: AbortController | null = null;

function setState(next: UiState): void {
  state = next;
  status.textContent = t(`status.${next.kind}`);
  status.dataset['state'] = next.kind;
  button.textContent = t(next.kind === 'connected' ? 'disconnect' : 'connect');
  button.disabled = !available || next.kind === 'connecting' || next.kind === 'disconnecting' || next.kind === 'failed';
  reconnectButton.hidden = !(available && next.kind === 'idle' && next.resumable);
  // The session is built from these when it starts; changing them later would change nothing.
  const choosing = next.kind === 'idle';
  if (presetSelect !== null) presetSelect.disabled = !choosing;
  if (instructionsInput !== null) instructionsInput.disabled = !choosing;
}

function showError(message: string): void {
  alert.textContent = message;
  alert.hidden = false;
}

function clearError(): void {
  alert.textContent = '';
  alert.hidden = true;
}

function selectedPreset(): string {
  return presetSelect?.value ?? '';
}

function turnDetectionFor(preset: string): Readonly<Record<string, unknown>> | null {
  return pageData.presets.find((candidate) => candidate.name === preset)?.turnDetection ?? null;
}

/** Earlier turns as conversation items; they keep their ids, so OpenAI's echoes land on the lines already shown. */
function carryOver(session: RealtimeSession, entries: readonly TranscriptEntry[]): void {
  for (const entry of entries) {
    const content = entry.speaker === 'user' ? { type: 'input_text', text: entry.text } : { type: 'output_text', text: entry.text };
    session.send({ type: 'conversation.item.create', item: { id: entry.itemId, type: 'message', role: entry.speaker, content: [content] } });
  }
}

function onEvent(direction: 'in' | 'out', event: RealtimeEvent): void {
  eventLog.add(direction, event.type);
  if (direction !== 'in') return;
  transcript.apply(event);
  controls.onServerEvent(event);
  if (is(event, 'response.done') && event.response.usage) usage.add(event.response.usage);
}

async function connect(resume: boolean): Promise<void> {
  clearError();
  const carried = resume ? transcript.entries().filter((entry) => entry.text.trim() !== '').slice(-carriedLines) : [];
  if (!resume) {
    transcript.clear();
    eventLog.clear();
    usage.reset();
  }
  const choice: SessionChoice = { preset: selectedPreset(), instructions: instructionsInput?.value ?? '' };
  setState({ kind: 'connecting' });
  pending = new AbortController();
  // Started before anything else in the click: its offer is what OpenAI's round trip waits for.
  const starting = RealtimeSession.start(config, choice, audio, {
    onEvent,
    onRecoverableError: showError,
    onEnded: (message) => void fail(message, true),
  }, pending.signal, { deviceId: devices.microphoneId, allowed: devices.microphoneAllowed });
  // Created, resumed and played inside the click: mobile Safari only starts audio from a user gesture.
  audioContext = new AudioContext();
  void audioContext.resume();
  void audio.play().catch(() => undefined);
  const context = audioContext;
  try {
    const session = await starting;
    // Drawn only once the call is up: nothing on the page competes with the connection for the CPU.
    if (session.microphone !== null) micWaveform = new Waveform(micCanvas, context, session.microphone);
    if (session.remote !== null) waveforms.push(new Waveform(assistantCanvas, context, session.remote));
    controls.setTurnDetection(turnDetectionFor(choice.preset));
    controls.attach(session);
    carryOver(session, carried);
    setState({ kind: 'connected', session });
    timeLimit.start(() => void fail(t('err.timeLimit', { minutes: timeLimit.minutes }), false));
    // Device names are only readable once the microphone is allowed.
    void devices.refresh().catch(() => undefined);
  } catch (error) {
    await fail(error instanceof SessionError ? error.message : t('err.connect'), resume);
  } finally {
    pending = null;
  }
}

async function fail(message: string, resumable: boolean): Promise<void> {
  const session = state.kind === 'connected' ? state.session : null;
  setState({ kind: 'failed' });
  showError(message);
  await teardown(session);
  setState({ kind: 'idle', resumable });
}

async function disconnect(): Promise<void> {
  if (state.kind !== 'connected') return;
  const { session } = state;
  setState({ kind: 'disconnecting' });
  await teardown(session);
  setState({ kind: 'idle', resumable: false });
}

async function teardown(session: RealtimeSession | null): Promise<void> {
  pending?.abort();
  timeLimit.stop();
  controls.detach();
  micWaveform?.dispose();
  micWaveform = null;
  waveforms.forEach((waveform) => waveform.dispose());
  waveforms = [];
  const context = audioContext;
  audioContext = null;
  await Promise.all([session?.close(), context?.close()]);
}

async function switchMicrophone(deviceId: string): Promise<void> {
  if (state.kind !== 'connected' || audioContext === null) return;
  const context = audioContext;
  try {
    const stream = await state.session.switchMicrophone(deviceId);
    micWaveform?.dispose();
    micWaveform = new Waveform(micCanvas, context, stream);
  } catch (error) {
    showError(error instanceof SessionError ? error.message : t('err.switchMic'));
  }
}

button.addEventListener('click', () => {
  if (state.kind === 'idle') void connect(false);
  else if (state.kind === 'connected') void disconnect();
});
reconnectButton.addEventListener('click', () => {
  if (state.kind === 'idle') void connect(true);
});
presetSelect?.addEventListener('change', () => controls.setTurnDetection(turnDetectionFor(selectedPreset())));

element('download-markdown', HTMLButtonElement).addEventListener('click', () => {
  const now = new Date();
  download(toMarkdown(transcript.entries(), now), `${fileStem(now)}.md`, 'text/markdown;charset=utf-8');
});
element('download-json', HTMLButtonElement).addEventListener('click', () => {
  const now = new Date();
  download(toJson(transcript.entries(), now), `${fileStem(now)}.json`, 'application/json');
});
element('copy-transcript', HTMLButtonElement).addEventListener('click', () => {
  // Wrapped so a browser without the Clipboard API (plain http) ends in the message, not an exception.
  Promise.resolve().then(() => navigator.clipboard.writeText(toMarkdown(transcript.entries(), new Date()))).then(
    () => { exportNote.textContent = t('copied'); },
    () => { exportNote.textContent = t('copyFailed'); },
  );
});

// Closing the tab should not leave a billed call running until OpenAI notices.
window.addEventListener('pagehide', () => {
  if (state.kind === 'connected') void state.session.close();
});

controls.setTurnDetection(turnDetectionFor(selectedPreset()));
setState(state);
