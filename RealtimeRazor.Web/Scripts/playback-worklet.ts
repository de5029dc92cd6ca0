// The assistant's PCM16 24 kHz audio, played from a small jitter buffer: playback starts once 80 ms are
// queued (or the reply's audio is complete), so the bursts OpenAI sends in play without gaps. It counts what
// was actually played of each item, so an interruption can truncate the model's memory to what was heard.
// The context runs at the device's own rate; the worklet converts from 24 kHz by linear interpolation.
import type { WorkletProcessor, WorkletScope } from './worklet-scope.js';

const scope = globalThis as unknown as WorkletScope;

export type PlaybackCommand =
  | { readonly type: 'audio'; readonly itemId: string; readonly pcm: ArrayBuffer }
  | { readonly type: 'end' }
  | { readonly type: 'clear' };

export type PlaybackReport =
  | { readonly type: 'started' }
  | { readonly type: 'drained' }
  | { readonly type: 'cleared'; readonly itemId: string | null; readonly playedMs: number };

const rate = 24_000;
const startAfterSamples = rate * 0.08;
/** 24 kHz samples per output sample (0.5 at 48 kHz). */
const step = rate / scope.sampleRate;

class PcmPlayback extends scope.AudioWorkletProcessor implements WorkletProcessor {
  readonly #queue: { readonly itemId: string; readonly samples: Float32Array }[] = [];
  #offset = 0;
  #buffered = 0;
  #playing = false;
  #ended = false;
  #itemId: string | null = null;
  #played = 0;
  /** How far playback is between the current 24 kHz sample and the next. */
  #fraction = 0;

  constructor() {
    super();
    this.port.onmessage = (message: MessageEvent<PlaybackCommand>) => this.#command(message.data);
  }

  #command(command: PlaybackCommand): void {
    switch (command.type) {
      case 'audio': {
        const pcm = new Int16Array(command.pcm);
        const samples = new Float32Array(pcm.length);
        for (let i = 0; i < pcm.length; i++) samples[i] = (pcm[i] ?? 0) / 0x8000;
        this.#queue.push({ itemId: command.itemId, samples });
        this.#buffered += samples.length;
        this.#ended = false;
        return;
      }
      case 'end':
        this.#ended = true;
        return;
      case 'clear':
        this.#report({ type: 'cleared', itemId: this.#itemId, playedMs: Math.round((this.#played * 1000) / rate) });
        this.#queue.length = 0;
        this.#offset = 0;
        this.#buffered = 0;
        this.#fraction = 0;
        this.#playing = false;
        this.#ended = false;
        return;
    }
  }

  /** One 24 kHz sample played. */
  #advance(): void {
    const head = this.#queue[0];
    if (head === undefined) return;
    this.#offset++;
    this.#played++;
    this.#buffered--;
    if (this.#offset === head.samples.length) {
      this.#queue.shift();
      this.#offset = 0;
    }
  }

  #report(report: PlaybackReport): void {
    this.port.postMessage(report);
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (out === undefined) return true;
    if (!this.#playing && this.#buffered > 0 && (this.#buffered >= startAfterSamples || this.#ended)) {
      this.#playing = true;
      this.#report({ type: 'started' });
    }
    if (!this.#playing) {
      out.fill(0);
      return true;
    }
    for (let i = 0; i < out.length; i++) {
      const head = this.#queue[0];
      if (head === undefined) {
        out[i] = 0;
        continue;
      }
      if (head.itemId !== this.#itemId) {
        this.#itemId = head.itemId;
        this.#played = 0;
      }
      const current = head.samples[this.#offset] ?? 0;
      const next = head.samples[this.#offset + 1] ?? current;
      out[i] = current + (next - current) * this.#fraction;
      for (this.#fraction += step; this.#fraction >= 1 && this.#queue.length > 0; this.#fraction--) this.#advance();
    }
    if (this.#buffered === 0) {
      this.#fraction = 0;
      // Out of audio: either the reply is over, or the network is late and the jitter buffer refills first.
      this.#playing = false;
      if (this.#ended) {
        this.#ended = false;
        this.#report({ type: 'drained' });
      }
    }
    return true;
  }
}

scope.registerProcessor('pcm-playback', PcmPlayback);
