import type { WaveformMessage } from './waveform-worker.js';

// 20 frames a second of a 128-point line look live; a silent line is drawn once, not every frame.
const frameIntervalMs = 50;
const points = 128;
const silence = 0.005;

/**
 * The worker that draws every waveform, started at the first call. A canvas can hand its drawing
 * to a worker only once, so each canvas is handed over once and kept for the page's lifetime.
 */
class Painter {
  #worker: Worker | null = null;
  readonly #attached = new Set<HTMLCanvasElement>();

  post(canvas: HTMLCanvasElement, message: WaveformMessage, transfer: Transferable[] = []): void {
    const worker = this.#worker ??= new Worker(import.meta.resolve('./waveform-worker.js'), { type: 'module' });
    if (!this.#attached.has(canvas)) {
      this.#attached.add(canvas);
      const offscreen = canvas.transferControlToOffscreen();
      const attach: WaveformMessage = { kind: 'attach', id: canvas.id, canvas: offscreen, color: getComputedStyle(canvas).color };
      worker.postMessage(attach, [offscreen]);
    }
    worker.postMessage(message, transfer);
  }
}

/**
 * One clock for every waveform on the page, so the audio is sampled in one task a frame. Nothing
 * ticks while the tab is hidden: nobody sees it.
 */
class FrameClock {
  readonly #subscribers = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  subscribe(sample: () => void): () => void {
    this.#subscribers.add(sample);
    if (this.#subscribers.size === 1) {
      document.addEventListener('visibilitychange', this.#restart);
      this.#restart();
    }
    return () => {
      this.#subscribers.delete(sample);
      if (this.#subscribers.size > 0) return;
      document.removeEventListener('visibilitychange', this.#restart);
      clearTimeout(this.#timer);
    };
  }

  readonly #restart = (): void => {
    clearTimeout(this.#timer);
    if (!document.hidden) this.#schedule();
  };

  #schedule(): void {
    this.#timer = setTimeout(this.#tick, frameIntervalMs);
  }

  readonly #tick = (): void => {
    this.#schedule();
    this.#subscribers.forEach((sample) => sample());
  };
}

const painter = new Painter();
const clock = new FrameClock();

/** A live waveform of one audio stream, where the browser can draw off the main thread (all current ones). */
export class Waveform {
  readonly #canvas: HTMLCanvasElement;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;
  readonly #unsubscribe: (() => void) | null;
  #flat = false;

  constructor(canvas: HTMLCanvasElement, context: AudioContext, stream: MediaStream) {
    this.#canvas = canvas;
    this.#analyser = context.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#samples = new Float32Array(this.#analyser.fftSize);
    this.#source = context.createMediaStreamSource(stream);
    this.#source.connect(this.#analyser);
    this.#unsubscribe = 'transferControlToOffscreen' in canvas ? clock.subscribe(this.#sample) : null;
  }

  dispose(): void {
    this.#source.disconnect();
    if (this.#unsubscribe === null) return;
    this.#unsubscribe();
    painter.post(this.#canvas, { kind: 'clear', id: this.#canvas.id });
  }

  readonly #sample = (): void => {
    this.#analyser.getFloatTimeDomainData(this.#samples);
    const flat = this.#samples.every((sample) => Math.abs(sample) < silence);
    if (flat && this.#flat) return;
    this.#flat = flat;
    const stride = this.#samples.length / points;
    const line = new Float32Array(points);
    for (let point = 0; point < points; point++) line[point] = this.#samples[point * stride] ?? 0;
    painter.post(this.#canvas, { kind: 'draw', id: this.#canvas.id, points: line }, [line.buffer]);
  };
}
