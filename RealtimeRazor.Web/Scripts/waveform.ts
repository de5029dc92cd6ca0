/**
 * A live waveform of one audio stream. Drawing pauses while the tab is hidden: nobody sees it,
 * and it is the page's main cost while connected.
 */
export class Waveform {
  readonly #canvas: HTMLCanvasElement;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;
  readonly #color: string;
  #frame = 0;

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
    cancelAnimationFrame(this.#frame);
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#source.disconnect();
    this.#clear();
  }

  readonly #onVisibility = (): void => {
    cancelAnimationFrame(this.#frame);
    if (!document.hidden) this.#frame = requestAnimationFrame(this.#draw);
  };

  readonly #draw = (): void => {
    const context = this.#canvas.getContext('2d');
    if (context === null) return;
    const { width, height } = this.#canvas;
    this.#analyser.getFloatTimeDomainData(this.#samples);
    context.clearRect(0, 0, width, height);
    context.lineWidth = 2;
    context.strokeStyle = this.#color;
    context.beginPath();
    const step = width / this.#samples.length;
    this.#samples.forEach((sample, index) => {
      const y = (1 - sample) * (height / 2);
      if (index === 0) context.moveTo(0, y);
      else context.lineTo(index * step, y);
    });
    context.stroke();
    this.#frame = requestAnimationFrame(this.#draw);
  };

  #clear(): void {
    this.#canvas.getContext('2d')?.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
  }
}
