// Drawing is the page's main cost while connected (the benchmark measures it): 20 frames a second
// of a 128-point line look live, and a silent line is drawn once, not every frame.
const frameIntervalMs = 50;
const points = 128;
const silence = 0.005;

/**
 * One clock for every waveform on the page, so both lines are drawn in the same animation frame:
 * each frame the page asks for costs the browser a whole rendering update. Nothing ticks while the
 * tab is hidden: nobody sees it.
 */
class FrameClock {
  readonly #subscribers = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #frame = 0;

  subscribe(draw: () => void): () => void {
    this.#subscribers.add(draw);
    if (this.#subscribers.size === 1) {
      document.addEventListener('visibilitychange', this.#restart);
      this.#restart();
    }
    return () => {
      this.#subscribers.delete(draw);
      if (this.#subscribers.size > 0) return;
      document.removeEventListener('visibilitychange', this.#restart);
      this.#stop();
    };
  }

  readonly #restart = (): void => {
    this.#stop();
    if (!document.hidden) this.#schedule();
  };

  #schedule(): void {
    this.#timer = setTimeout(() => { this.#frame = requestAnimationFrame(this.#tick); }, frameIntervalMs);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    cancelAnimationFrame(this.#frame);
  }

  readonly #tick = (): void => {
    this.#schedule();
    this.#subscribers.forEach((draw) => draw());
  };
}

const clock = new FrameClock();

/** A live waveform of one audio stream. */
export class Waveform {
  readonly #canvas: HTMLCanvasElement;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;
  readonly #color: string;
  readonly #unsubscribe: () => void;
  #flat = false;

  constructor(canvas: HTMLCanvasElement, context: AudioContext, stream: MediaStream) {
    this.#canvas = canvas;
    this.#analyser = context.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#samples = new Float32Array(this.#analyser.fftSize);
    this.#source = context.createMediaStreamSource(stream);
    this.#source.connect(this.#analyser);
    this.#color = getComputedStyle(canvas).color;
    this.#unsubscribe = clock.subscribe(this.#draw);
  }

  dispose(): void {
    this.#unsubscribe();
    this.#source.disconnect();
    this.#canvas.getContext('2d')?.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
  }

  readonly #draw = (): void => {
    this.#analyser.getFloatTimeDomainData(this.#samples);
    const flat = this.#samples.every((sample) => Math.abs(sample) < silence);
    if (flat && this.#flat) return;
    this.#flat = flat;

    const context = this.#canvas.getContext('2d');
    if (context === null) return;
    const { width, height } = this.#canvas;
    context.clearRect(0, 0, width, height);
    context.lineWidth = 2;
    context.strokeStyle = this.#color;
    context.beginPath();
    const stride = this.#samples.length / points;
    const step = width / (points - 1);
    for (let point = 0; point < points; point++) {
      const y = (1 - (this.#samples[point * stride] ?? 0)) * (height / 2);
      if (point === 0) context.moveTo(0, y);
      else context.lineTo(point * step, y);
    }
    context.stroke();
  };
}
