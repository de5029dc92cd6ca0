// What an AudioWorkletGlobalScope offers the processors: not part of the DOM library the page compiles against.
// Types only: a worklet imports nothing at run time (import maps do not apply inside worklets).

export interface WorkletProcessor {
  readonly port: MessagePort;
  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean;
}

export interface WorkletScope {
  readonly AudioWorkletProcessor: new () => { readonly port: MessagePort };
  /** The context's rate: the device's own (48 kHz, 44.1 kHz...), which the worklets convert from and to 24 kHz. */
  readonly sampleRate: number;
  registerProcessor(name: string, processor: new () => WorkletProcessor): void;
}
