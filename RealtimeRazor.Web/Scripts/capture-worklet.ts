// The microphone as PCM16 mono 24 kHz chunks for `input_audio_buffer.append`. The context runs at the device's
// own rate: Firefox cannot connect a microphone to a context of another rate, so the worklet converts, by linear
// interpolation (speech has next to nothing above 12 kHz, where that would alias).
import type { WorkletProcessor, WorkletScope } from './worklet-scope.js';

const scope = globalThis as unknown as WorkletScope;

const rate = 24_000;
/** 40 ms: small enough for a prompt turn, large enough not to flood the socket with events. */
const chunkSamples = rate * 0.04;
/** Input samples per output sample (2 at 48 kHz). */
const step = scope.sampleRate / rate;

class PcmCapture extends scope.AudioWorkletProcessor implements WorkletProcessor {
  #chunk = new Int16Array(chunkSamples);
  #filled = 0;
  /** Where the next output sample falls, in this block's input samples; -1 to 0 is between the last block's end and this one. */
  #position = 0;
  #previous = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined || channel.length === 0) return true;
    for (; this.#position < channel.length - 1; this.#position += step) {
      const index = Math.floor(this.#position);
      const from = index < 0 ? this.#previous : channel[index] ?? 0;
      const to = channel[index + 1] ?? from;
      this.#push(from + (to - from) * (this.#position - index));
    }
    this.#position -= channel.length;
    this.#previous = channel[channel.length - 1] ?? 0;
    return true;
  }

  #push(sample: number): void {
    const clamped = Math.max(-1, Math.min(1, sample));
    this.#chunk[this.#filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    if (this.#filled < chunkSamples) return;
    // Transferred, not copied: the next chunk gets a fresh buffer.
    this.port.postMessage(this.#chunk.buffer, [this.#chunk.buffer]);
    this.#chunk = new Int16Array(chunkSamples);
    this.#filled = 0;
  }
}

scope.registerProcessor('pcm-capture', PcmCapture);
