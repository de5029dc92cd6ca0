// What an AudioWorkletGlobalScope offers the processors: not part of the DOM library the page compiles against.
// Types only: a worklet imports nothing at run time (import maps do not apply inside worklets).

export interface WorkletProcessor {
  readonly port: MessagePort;
  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean;
}

export interface WorkletScope {
  readonly AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor(name: string, processor: new () => WorkletProcessor): void;
}
