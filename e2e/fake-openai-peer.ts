// The fake "OpenAI" end of a WebRTC call, in its own page. It answers offers the way OpenAI does
// (non-trickle: the answer carries every ICE candidate), speaks a tone when told, measures the
// audio it receives, records client events and sends scripted server events.

interface Call {
  readonly pc: RTCPeerConnection;
  readonly voice: GainNode;
  channel: RTCDataChannel | null;
  analyser: AnalyserNode | null;
  readonly received: unknown[];
}

const context = new AudioContext();
let current: Call | null = null;
let callCount = 0;
/** The newest item in the conversation, for the previous_item_id of OpenAI's echoes. */
let lastItemId: string | null = null;
let echoCount = 0;
let sentCount = 0;
/** The conversation's items by id, as the newest event sent carrying each had it: what conversation.item.retrieve answers. */
const items = new Map<string, unknown>();
let retrievedCount = 0;

function createVoice(): { gain: GainNode; stream: MediaStream } {
  const oscillator = context.createOscillator();
  oscillator.frequency.value = 330;
  const gain = context.createGain();
  gain.gain.value = 0;
  const destination = context.createMediaStreamDestination();
  oscillator.connect(gain).connect(destination);
  oscillator.start();
  return { gain, stream: destination.stream };
}

/**
 * `dataChannelId` is the call's `dcid` (WARP's pre-negotiated channel): OpenAI then creates the
 * channel with that id itself instead of waiting for the page to open one in-band.
 */
async function answer(offer: string, dataChannelId: number | null = null): Promise<string> {
  await context.resume();
  current?.pc.close();
  const pc = new RTCPeerConnection();
  const { gain, stream } = createVoice();
  const call: Call = { pc, voice: gain, channel: null, analyser: null, received: [] };
  current = call;
  callCount++;
  lastItemId = null;
  items.clear();

  // OpenAI adds its track with a stream; without one the app's event.streams[0] is undefined.
  for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
  pc.addEventListener('track', (event) => {
    const incoming = event.streams[0] ?? new MediaStream([event.track]);
    // A remote stream reads as silence in an AnalyserNode until a media element plays it.
    const sink = new Audio();
    sink.muted = true;
    sink.srcObject = incoming;
    void sink.play();
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(incoming).connect(analyser);
    call.analyser = analyser;
  });
  const attach = (channel: RTCDataChannel): void => {
    call.channel = channel;
    channel.addEventListener('message', (message) => {
      let event: unknown;
      try {
        event = JSON.parse(String(message.data));
      } catch {
        event = { type: '(unparseable)' };
      }
      call.received.push(event);
      echo(event);
      retrieve(channel, event);
    });
    const greet = (): void => sendEvents([{ type: 'session.created', event_id: 'event_0', session: { type: 'realtime', model: 'gpt-realtime' } }]);
    // Sent from a task of its own: a message sent from inside Chromium's datachannel/open dispatch
    // was sometimes never delivered (the page saw ~1 in 10 greetings vanish in the benchmark).
    if (channel.readyState === 'open') setTimeout(greet, 0);
    else channel.addEventListener('open', () => setTimeout(greet, 0), { once: true });
  };
  if (dataChannelId === null) pc.addEventListener('datachannel', (event) => attach(event.channel));
  else attach(pc.createDataChannel('oai-events', { negotiated: true, id: dataChannelId }));

  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  return pc.localDescription?.sdp ?? '';
}

function sendEvents(events: readonly unknown[]): void {
  const channel = current?.channel;
  if (channel?.readyState !== 'open') throw new Error('no open data channel');
  for (const event of events) {
    const added = event as { type?: string; item?: { id?: string } };
    if (added.type === 'conversation.item.added' && typeof added.item?.id === 'string') lastItemId = added.item.id;
    remember(event);
    const text = JSON.stringify(event);
    channel.send(text);
    sentCount++;
    // OpenAI sends every server event of the call to its sideband too (the test bridges it to the fake's WebSocket).
    void window.toSideband?.(text);
  }
}

/** A client event the app's server sent on the sideband: OpenAI handles it as if the page had sent it. */
function fromSideband(text: string): void {
  const call = current;
  if (call === null) return;
  const event: unknown = JSON.parse(text);
  call.received.push(event);
  echo(event);
}

/** Answers conversation.item.create as OpenAI does: the item, with its id, appended to the conversation. */
function echo(event: unknown): void {
  const create = event as { type?: string; item?: { id?: string } & Record<string, unknown> };
  if (create.type !== 'conversation.item.create' || create.item === undefined) return;
  const item = { ...create.item, id: create.item.id ?? `item_echo${++echoCount}`, status: 'completed' };
  sendEvents([{ type: 'conversation.item.added', event_id: `event_echo${echoCount}`, previous_item_id: lastItemId, item }]);
}

function remember(event: unknown): void {
  const carrying = event as { type?: string; item?: { id?: unknown }; response?: { output?: ReadonlyArray<{ id?: unknown }> } };
  const carried = carrying.type === 'response.done' ? carrying.response?.output ?? [] : carrying.item === undefined ? [] : [carrying.item];
  for (const item of carried) if (typeof item.id === 'string') items.set(item.id, item);
}

/**
 * Answers conversation.item.retrieve on the data channel it came on, as OpenAI documents: the item, or an
 * `error` when the conversation has none by that id. (The sideband's retrieves are answered by the fake sideband.)
 */
function retrieve(channel: RTCDataChannel, event: unknown): void {
  const asked = event as { type?: string; item_id?: string; event_id?: string };
  if (asked.type !== 'conversation.item.retrieve') return;
  const item = asked.item_id === undefined ? undefined : items.get(asked.item_id);
  channel.send(JSON.stringify(item !== undefined
    ? { type: 'conversation.item.retrieved', event_id: `event_retrieved${++retrievedCount}`, item }
    : {
      type: 'error', event_id: `event_retrieved${++retrievedCount}`,
      error: { type: 'invalid_request_error', code: 'item_not_found', message: `Item with item_id '${asked.item_id ?? ''}' not found.`, param: 'item_id', event_id: asked.event_id ?? null },
    }));
}

/** RMS of what the app's microphone sends, over the last ~40 ms. */
function micLevel(): number {
  const analyser = current?.analyser;
  if (analyser === null || analyser === undefined) return 0;
  const samples = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(samples);
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

const api = {
  answer,
  send: sendEvents,
  micLevel,
  speak: (on: boolean): void => {
    if (current !== null) current.voice.gain.value = on ? 0.5 : 0;
  },
  fromSideband,
  received: (): unknown[] => current?.received ?? [],
  channelState: (): string => current?.channel?.readyState ?? 'none',
  channelNegotiated: (): boolean => current?.channel?.negotiated ?? false,
  connectionState: (): string => current?.pc.connectionState ?? 'none',
  callCount: (): number => callCount,
  sentCount: (): number => sentCount,
  /** Drops the call as a network failure would: the app sees its channel close. */
  drop: (): void => current?.pc.close(),
};

declare global {
  interface Window {
    fakeOpenAI: typeof api;
    /** Bound by the test when it bridges the peer to the fake sideband. */
    toSideband?: (json: string) => Promise<void>;
  }
}

window.fakeOpenAI = api;
document.title = 'fake OpenAI peer ready';
export {};
