import type { McpApprovals } from './approvals.js';
import type { CallStatusWatch } from './call-status.js';
import type { ConversationControls } from './controls.js';
import type { DevicePicker } from './devices.js';
import { NoPathError, SessionError } from './errors.js';
import type { EventLog } from './event-log.js';
import { t } from './i18n.js';
import type { SessionChoice } from './negotiation.js';
import type { PageConfig, TurnDetection } from './page-config.js';
import type { ClientEvent, RealtimeEvent } from './protocol.js';
import type { SessionInfo } from './session-info.js';
import type { RealtimeSession } from './session.js';
import type { SocketSession } from './socket-session.js';
import type { CallSession, rememberTransport, transportOrder } from './transport.js';
import type { TimeLimit } from './time-limit.js';
import type { Transcript, TranscriptEntry } from './transcript.js';
import type { UnansweredToolCalls } from './unanswered-tool-calls.js';
import type { UsageMeter } from './usage.js';
import type { Waveform } from './waveform.js';

/** The page's own reconnects after its server went away: at once, then spread over the seconds a dead server's session slot takes to lapse. */
const selfReconnectWaitsMs = [0, 2000, 2000, 2000];

/** How many transcript lines a reconnected session gets as context: enough to go on, not a whole hour of tokens. */
const carriedLines = 10;

/**
 * What only a started call runs: WebRTC with its negotiation or the WebSocket, the waveforms, and the panel of what OpenAI
 * reports about the session. It is fetched once the page is usable rather than before Connect is enabled,
 * which keeps these requests off a slow network's critical path; a click that comes before it has arrived
 * waits for it.
 */
interface CallModules {
  readonly RealtimeSession: typeof RealtimeSession;
  readonly SocketSession: typeof SocketSession;
  readonly Waveform: typeof Waveform;
  readonly SessionInfo: typeof SessionInfo;
  readonly McpApprovals: typeof McpApprovals;
  readonly CallStatusWatch: typeof CallStatusWatch;
  readonly UnansweredToolCalls: typeof UnansweredToolCalls;
  readonly transportOrder: typeof transportOrder;
  readonly rememberTransport: typeof rememberTransport;
}

async function loadCallModules(): Promise<CallModules> {
  const [session, socket, waveform, info, approvals, status, unanswered, transport] = await Promise.all([
    import('./session.js'), import('./socket-session.js'), import('./waveform.js'), import('./session-info.js'), import('./approvals.js'), import('./call-status.js'),
    import('./unanswered-tool-calls.js'), import('./transport.js'),
  ]);
  return {
    RealtimeSession: session.RealtimeSession, SocketSession: socket.SocketSession, Waveform: waveform.Waveform, SessionInfo: info.SessionInfo,
    McpApprovals: approvals.McpApprovals, CallStatusWatch: status.CallStatusWatch, UnansweredToolCalls: unanswered.UnansweredToolCalls,
    transportOrder: transport.transportOrder, rememberTransport: transport.rememberTransport,
  };
}

/** A call that has started, with what it was started with. */
interface Started {
  readonly session: CallSession;
  readonly modules: CallModules;
  readonly parts: CallParts;
  /** The earlier turns a Reconnect carries into the new session. */
  readonly carried: readonly TranscriptEntry[];
}

/** The elements the call itself drives. */
export interface CallElements {
  readonly connect: HTMLButtonElement;
  readonly reconnect: HTMLButtonElement;
  readonly status: HTMLElement;
  readonly alert: HTMLElement;
  /** What OpenAI says is in force, and rate-limit warnings: shown from the first call on. */
  readonly settings: HTMLElement;
  readonly rateLimit: HTMLElement;
  /** Where the user allows or denies a remote MCP tool call. */
  readonly approvals: HTMLUListElement;
  /** Shown while the server cannot reach the call's sideband, and when the budget ends the call. */
  readonly toolsNotice: HTMLElement;
  readonly budgetNotice: HTMLElement;
  readonly preset: HTMLSelectElement | null;
  readonly instructions: HTMLTextAreaElement | null;
  readonly audio: HTMLAudioElement;
  readonly micCanvas: HTMLCanvasElement;
  readonly assistantCanvas: HTMLCanvasElement;
}

/**
 * The page's parts that follow the call: they live as long as the page, the call tells them what happened.
 * They are made after Connect is enabled (page-parts.ts), so the call gets them as a promise.
 */
export interface CallParts {
  readonly transcript: Transcript;
  readonly eventLog: EventLog;
  readonly usage: UsageMeter;
  readonly controls: ConversationControls;
  readonly devices: DevicePicker;
  readonly timeLimit: TimeLimit;
}

/** The two live waveforms of a call; the microphone's is replaced when the user switches devices. */
class CallWaveforms {
  readonly #canvas: HTMLCanvasElement;
  readonly #context: AudioContext;
  #microphone: Waveform | null;
  readonly #assistant: Waveform | null;
  readonly #waveform: typeof Waveform;

  constructor(elements: CallElements, context: AudioContext, session: CallSession, waveform: typeof Waveform) {
    this.#canvas = elements.micCanvas;
    this.#context = context;
    this.#waveform = waveform;
    this.#microphone = session.microphone === null ? null : new waveform(elements.micCanvas, context, session.microphone);
    this.#assistant = session.remote === null ? null : new waveform(elements.assistantCanvas, context, session.remote);
  }

  showMicrophone(stream: MediaStream): void {
    this.#microphone?.dispose();
    this.#microphone = new this.#waveform(this.#canvas, this.#context, stream);
  }

  dispose(): void {
    this.#microphone?.dispose();
    this.#assistant?.dispose();
  }
}

/** Each state owns what it opened, so ending a call in any state is "dispose the state you are in". */
type CallState =
  | { readonly kind: 'idle'; readonly resumable: boolean }
  | { readonly kind: 'connecting'; readonly abort: AbortController; readonly audio: AudioContext }
  | {
    readonly kind: 'connected'; readonly session: CallSession; readonly audio: AudioContext; readonly waveforms: CallWaveforms;
    /** WebRTC only: a WebSocket call's tools are answered by the instance it runs through, or the call ends with it. */
    readonly unanswered: UnansweredToolCalls | null;
  }
  | { readonly kind: 'disconnecting' }
  | { readonly kind: 'failed' };

/** The page's one call at a time: Connect, Reconnect, Disconnect, failures, and what each does to the page. */
export class Call {
  readonly #config: PageConfig;
  readonly #elements: CallElements;
  readonly #partsLoading: Promise<CallParts>;
  #parts: CallParts | null = null;
  readonly #loading: Promise<CallModules>;
  #loaded: CallModules | null = null;
  #sessionInfo: SessionInfo | null = null;
  #approvals: McpApprovals | null = null;
  #status: CallStatusWatch | null = null;
  #state: CallState = { kind: 'idle', resumable: false };
  /** A call the server's going away ended may be reconnected by the page itself, once per call the user started. */
  #mayReconnectItself = false;

  constructor(config: PageConfig, elements: CallElements, parts: Promise<CallParts>) {
    this.#config = config;
    this.#elements = elements;
    this.#partsLoading = parts;
    elements.connect.addEventListener('click', () => {
      if (this.#state.kind === 'idle') this.#userConnects(false);
      else if (this.#state.kind === 'connected') void this.#disconnect();
    });
    elements.reconnect.addEventListener('click', () => {
      if (this.#state.kind === 'idle') this.#userConnects(true);
    });
    elements.preset?.addEventListener('change', () => this.#parts?.controls.setTurnDetection(this.#turnDetection()));
    // Closing the tab should not leave a billed call running until OpenAI notices.
    window.addEventListener('pagehide', () => this.#leave());
    // A click the page's inline script kept while the modules were on their way (Index.cshtml) is carried out now.
    const clickedEarly = elements.connect.dataset['clicked'] === 'true';
    delete elements.connect.dataset['clicked'];
    document.documentElement.dataset['ready'] = 'true';
    this.#render();
    void parts.then((made) => {
      this.#parts = made;
      made.controls.setTurnDetection(this.#turnDetection());
    }, () => undefined);
    this.#loading = loadCallModules();
    void this.#loading.then((modules) => { this.#loaded = modules; }, () => undefined);
    if (clickedEarly && config.available) this.#userConnects(false);
  }

  #userConnects(resume: boolean): void {
    this.#mayReconnectItself = true;
    void this.#connect(resume);
  }

  showError(message: string): void {
    this.#elements.alert.textContent = message;
    this.#elements.alert.hidden = false;
  }

  /** Moves a live call to another microphone; the old one is released. */
  async switchMicrophone(deviceId: string): Promise<void> {
    const state = this.#state;
    if (state.kind !== 'connected') return;
    try {
      const stream = await state.session.switchMicrophone(deviceId);
      if (this.#state === state) state.waveforms.showMicrophone(stream);
    } catch (error) {
      this.showError(error instanceof SessionError ? error.message : t('err.switchMic'));
    }
  }

  /**
   * The server went away mid-call: the call goes on through another instance behind the same address. The dead
   * instance's session slot still counts against the caps until it lapses unrenewed (a few seconds), so a refused
   * attempt is tried again a few times before the choice is left to the user (Reconnect).
   */
  async #reconnectItself(): Promise<void> {
    for (const wait of selfReconnectWaitsMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, wait));
      if (this.#state.kind !== 'idle' || await this.#connect(true)) return;
    }
  }

  /** True when the call is up. */
  async #connect(resume: boolean): Promise<boolean> {
    this.#clearError();
    const choice: SessionChoice = { preset: this.#elements.preset?.value ?? '', instructions: this.#elements.instructions?.value ?? '' };
    const abort = new AbortController();
    const start = async (modules: CallModules, parts: CallParts): Promise<Started> => {
      const { transcript, eventLog, usage, devices } = parts;
      const carried = resume ? transcript.entries().filter((entry) => entry.text.trim() !== '').slice(-carriedLines) : [];
      if (!resume) {
        transcript.clear();
        eventLog.clear();
        usage.reset();
      }
      // Events can arrive while the session is still starting: what they say goes to a cleared panel.
      this.#sessionInfo ??= new modules.SessionInfo(this.#elements.settings, this.#elements.rateLimit);
      this.#sessionInfo.clear();
      this.#approvals ??= new modules.McpApprovals(this.#elements.approvals);
      this.#approvals.clear();
      this.#status ??= new modules.CallStatusWatch(this.#elements, (count) => this.#parts?.usage.showServerCount(count));
      this.#status.clear();
      const callbacks = {
        onEvent: (event: RealtimeEvent) => this.#onEvent(event),
        onSent: (event: ClientEvent) => this.#onSent(event),
        onRecoverableError: (message: string) => this.showError(message),
        onEnded: (message: string, reconnect?: boolean) => void this.#fail(message, true).then(async () => {
          // Once per call the user started: if the next server goes away too, the choice is theirs (Reconnect).
          if (reconnect === true && this.#mayReconnectItself) {
            this.#mayReconnectItself = false;
            await this.#reconnectItself();
          }
        }),
      };
      const microphone = { deviceId: devices.microphoneId, allowed: devices.microphoneAllowed };
      // WebRTC first where allowed; when ICE cannot connect (UDP blocked), the WebSocket through this server.
      const order = modules.transportOrder(this.#config.transports);
      for (const [index, transport] of order.entries()) {
        const fallbackFollows = index < order.length - 1;
        try {
          const session = transport === 'WebRTC'
            ? await modules.RealtimeSession.start(this.#config, choice, this.#elements.audio, callbacks, abort.signal, microphone, fallbackFollows)
            : await modules.SocketSession.start(this.#config, choice, this.#elements.audio, callbacks, abort.signal, microphone);
          modules.rememberTransport(transport);
          return { modules, parts, carried, session };
        } catch (error) {
          if (!(error instanceof NoPathError) || !fallbackFollows || abort.signal.aborted) throw error;
        }
      }
      throw new SessionError(t('err.connect'));
    };
    // Started before anything else in the click: its offer is what OpenAI's round trip waits for. The call's
    // modules and the page's parts have long arrived by a user's first click; one that beats them starts the
    // call when they do.
    const starting = this.#loaded !== null && this.#parts !== null
      ? start(this.#loaded, this.#parts)
      : Promise.all([this.#loading, this.#partsLoading]).then(([modules, parts]) => start(modules, parts));
    // Created, resumed and played inside the click: mobile Safari only starts audio from a user gesture.
    const audio = new AudioContext();
    void audio.resume();
    void this.#elements.audio.play().catch(() => undefined);
    this.#setState({ kind: 'connecting', abort, audio });
    try {
      const { session, modules, parts, carried } = await starting;
      const { controls, devices, timeLimit } = parts;
      // Drawn only once the call is up: nothing on the page competes with the connection for the CPU.
      const waveforms = new CallWaveforms(this.#elements, audio, session, modules.Waveform);
      controls.setTurnDetection(this.#turnDetection());
      controls.attach(session);
      this.#approvals?.attach((event) => session.send(event));
      carryOver(session, carried);
      const unanswered = session.transport === 'WebRTC' ? new modules.UnansweredToolCalls(session.callUrl) : null;
      this.#setState({ kind: 'connected', session, audio, waveforms, unanswered });
      timeLimit.start(() => void this.#fail(t('err.timeLimit', { minutes: timeLimit.minutes }), false));
      this.#status?.watch(session.callUrl);
      // Device names are only readable once the microphone is allowed.
      void devices.refresh().catch(() => undefined);
      return true;
    } catch (error) {
      await this.#fail(error instanceof SessionError ? error.message : t('err.connect'), resume);
      return false;
    }
  }

  async #disconnect(): Promise<void> {
    const state = this.#state;
    if (state.kind !== 'connected') return;
    this.#setState({ kind: 'disconnecting' });
    await this.#dispose(state);
    this.#setState({ kind: 'idle', resumable: false });
  }

  async #fail(message: string, resumable: boolean): Promise<void> {
    const state = this.#state;
    if (state.kind !== 'connecting' && state.kind !== 'connected') return;
    this.#setState({ kind: 'failed' });
    this.showError(message);
    await this.#dispose(state);
    this.#setState({ kind: 'idle', resumable });
  }

  /** The page is going away: nothing can be awaited, but the call must not be left running. */
  #leave(): void {
    const state = this.#state;
    if (state.kind === 'connecting') state.abort.abort();
    else if (state.kind === 'connected') void state.session.close();
  }

  async #dispose(state: CallState): Promise<void> {
    switch (state.kind) {
      case 'connecting':
        state.abort.abort();
        await state.audio.close().catch(() => undefined);
        return;
      case 'connected':
        this.#parts?.timeLimit.stop();
        this.#status?.stop();
        this.#parts?.controls.detach();
        this.#approvals?.detach();
        state.waveforms.dispose();
        state.unanswered?.dispose();
        await Promise.all([state.session.close(), state.audio.close().catch(() => undefined)]);
        return;
      default:
        return;
    }
  }

  #onEvent(event: RealtimeEvent): void {
    const parts = this.#parts;
    if (parts === null) return;
    parts.eventLog.add('in', event.type);
    parts.transcript.apply(event);
    this.#sessionInfo?.apply(event);
    this.#approvals?.apply(event);
    parts.controls.onServerEvent(event);
    parts.usage.apply(event);
    if (this.#state.kind === 'connected') this.#state.unanswered?.apply(event);
  }

  #onSent(event: ClientEvent): void {
    this.#parts?.eventLog.add('out', event.type);
  }

  #turnDetection(): TurnDetection {
    const preset = this.#elements.preset?.value ?? '';
    return this.#config.presets.find((candidate) => candidate.name === preset)?.turnDetection ?? null;
  }

  #setState(next: CallState): void {
    this.#state = next;
    this.#render();
  }

  #render(): void {
    const { connect, reconnect, status, preset, instructions } = this.#elements;
    const state = this.#state;
    const available = this.#config.available;
    status.textContent = state.kind === 'connected' && state.session.transport === 'WebSocket' ? t('status.connectedWebSocket') : t(`status.${state.kind}`);
    status.dataset['state'] = state.kind;
    connect.textContent = t(state.kind === 'connected' ? 'disconnect' : 'connect');
    connect.disabled = !available || state.kind === 'connecting' || state.kind === 'disconnecting' || state.kind === 'failed';
    reconnect.hidden = !(available && state.kind === 'idle' && state.resumable);
    // The session is built from these when it starts; changing them later would change nothing.
    const choosing = state.kind === 'idle';
    if (preset !== null) preset.disabled = !choosing;
    if (instructions !== null) instructions.disabled = !choosing;
  }

  #clearError(): void {
    this.#elements.alert.textContent = '';
    this.#elements.alert.hidden = true;
  }
}

/** Earlier turns as conversation items; they keep their ids, so OpenAI's echoes land on the lines already shown. */
function carryOver(session: CallSession, entries: readonly TranscriptEntry[]): void {
  for (const entry of entries) {
    const type = entry.speaker === 'user' ? 'input_text' : 'output_text';
    session.send({ type: 'conversation.item.create', item: { id: entry.itemId, type: 'message', role: entry.speaker, content: [{ type, text: entry.text }] } });
  }
}
