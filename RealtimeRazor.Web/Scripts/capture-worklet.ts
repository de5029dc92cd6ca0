// The microphone as PCM16 mono chunks for `input_audio_buffer.append`: runs in the audio thread of a
// context created at the WebSocket interface's rate (24 kHz), so the browser has already resampled it.
import type { WorkletProcessor, WorkletScope } from './worklet-scope.js';

const scope = globalThis as unknown as WorkletScope;

/** 40 ms at 24 kHz: small enough for a prompt turn, large enough not to flood the socket with events. */
const chunkSamples = 960;

class PcmCapture extends scope.AudioWorkletProcessor implements WorkletProcessor {
  #chunk = new Int16Array(chunkSamples);
  #filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true;
    for (const sample of channel) {
      const clamped = Math.max(-1, Math.min(1, sample));
      this.#chunk[this.#filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
      if (this.#filled === chunkSamples) {
        // Transferred, not copied: the next chunk gets a fresh buffer.
        this.port.postMessage(this.#chunk.buffer, [this.#chunk.buffer]);
        this.#chunk = new Int16Array(chunkSamples);
        this.#filled = 0;
      }
    }
    return true;
  }
}

scope.registerProcessor('pcm-capture', PcmCapture);
