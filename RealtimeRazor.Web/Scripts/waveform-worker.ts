// Draws the page's waveforms off the main thread: the page only samples the audio and posts the
// points here, so drawing never competes with the page's own work while a call is live.

export type WaveformMessage =
  | { readonly kind: 'attach'; readonly id: string; readonly canvas: OffscreenCanvas; readonly color: string }
  | { readonly kind: 'draw'; readonly id: string; readonly points: Float32Array<ArrayBuffer> }
  | { readonly kind: 'clear'; readonly id: string };

interface Target {
  readonly context: OffscreenCanvasRenderingContext2D;
  readonly color: string;
}

const targets = new Map<string, Target>();

addEventListener('message', (event: MessageEvent<WaveformMessage>) => {
  const message = event.data;
  if (message.kind === 'attach') {
    const context = message.canvas.getContext('2d');
    if (context !== null) targets.set(message.id, { context, color: message.color });
    return;
  }
  const target = targets.get(message.id);
  if (target === undefined) return;
  const { context } = target;
  const { width, height } = context.canvas;
  context.clearRect(0, 0, width, height);
  if (message.kind === 'draw') draw(target, message.points, width, height);
});

function draw({ context, color }: Target, points: Float32Array, width: number, height: number): void {
  context.lineWidth = 2;
  context.strokeStyle = color;
  context.beginPath();
  const step = width / (points.length - 1);
  points.forEach((sample, index) => {
    const y = (1 - sample) * (height / 2);
    if (index === 0) context.moveTo(0, y);
    else context.lineTo(index * step, y);
  });
  context.stroke();
}
