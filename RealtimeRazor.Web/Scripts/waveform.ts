// Drawing is the page's main cost while connected (the benchmark measures it): 20 frames a second
// of a 128-point line look live, and a silent line is drawn once, not every frame.
const frameIntervalMs = 50;
const points = 128;
const silence = 0.005;

/**
 * A live waveform of one audio stream. Drawing pauses while the tab is hidden: nobody sees it.
 */
export class Waveform {
  readonly #canvas: HTMLCanvasElement;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;
  readonly #color: string;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flat = false;

  constructor(canvas: HTMLCanvasElement, context: AudioContext, stream: MediaStream) {
    this.#canvas = canvas;
    this.#analyser = context.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#samples = new Float32Array(this.#analyser.fftSize);
    this.#source = context.createMediaStreamSource(stream);
    this.#source.connect(this.#analyser);
    this.#color = getComputedStyle(canvas).color;
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#onVisibility();
  }

  dispose(): void {
    this.#stop();
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#source.disconnect();
    this.#clear();
  }

  readonly #onVisibility = (): void => {
    this.#stop();
    this.#flat = false;
    if (!document.hidden) this.#schedule();
  };

  // A frame is asked for only when one will be drawn: an idle animation-frame loop still costs the
  // browser a rendering update every display refresh.
  #schedule(): void {
    this.#timer = setTimeout(() => { this.#frame = requestAnimationFrame(this.#draw); }, frameIntervalMs);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    cancelAnimationFrame(this.#frame);
  }

  readonly #draw = (): void => {
    this.#schedule();
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

  #clear(): void {
    this.#canvas.getContext('2d')?.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
  }
}
