import { formatNumber, t } from './i18n.js';
import type { ServerCount } from './call-status.js';
import type { Price } from './page-config.js';
import { is, type RealtimeEvent, type Usage } from './protocol.js';

export interface UsageTotals {
  total: number;
  input: number;
  output: number;
  inputText: number;
  inputAudio: number;
  cached: number;
  cachedText: number;
  cachedAudio: number;
  outputText: number;
  outputAudio: number;
}

const empty = (): UsageTotals => ({
  total: 0, input: 0, output: 0, inputText: 0, inputAudio: 0, cached: 0, cachedText: 0, cachedAudio: 0, outputText: 0, outputAudio: 0,
});

/**
 * Cost as OpenAI bills it: cached input tokens at the cached rate instead of their text or audio
 * rate. When a response does not say which cached tokens were audio, they are counted as audio
 * first, since in a voice session the cached context is mostly audio.
 */
export function estimateCost(totals: UsageTotals, price: Price): number {
  const perToken = (perMillion: number): number => perMillion / 1_000_000;
  return (totals.inputAudio - totals.cachedAudio) * perToken(price.audioInput)
    + (totals.inputText - totals.cachedText) * perToken(price.textInput)
    + totals.cached * perToken(price.cachedInput)
    + totals.outputAudio * perToken(price.audioOutput)
    + totals.outputText * perToken(price.textOutput);
}

export interface UsageFields {
  readonly total: HTMLElement;
  readonly input: HTMLElement;
  readonly output: HTMLElement;
  readonly cost: HTMLElement;
}

/** Running token totals and estimated cost from each response.done, shown as they change. */
export class UsageMeter {
  readonly #fields: UsageFields;
  readonly #price: Price | null;
  #totals = empty();
  #server: ServerCount | null = null;

  constructor(fields: UsageFields, price: Price | null) {
    this.#fields = fields;
    this.#price = price;
    this.#render();
  }

  get totals(): Readonly<UsageTotals> {
    return this.#totals;
  }

  apply(event: RealtimeEvent): void {
    if (is(event, 'response.done') && event.response.usage) this.add(event.response.usage);
  }

  add(usage: Usage): void {
    const totals = this.#totals;
    const input = usage.input_token_details ?? {};
    const output = usage.output_token_details ?? {};
    const inputAudio = input.audio_tokens ?? 0;
    const cached = input.cached_tokens ?? 0;
    const cachedAudio = input.cached_tokens_details?.audio_tokens ?? Math.min(cached, inputAudio);
    totals.total += usage.total_tokens ?? 0;
    totals.input += usage.input_tokens ?? 0;
    totals.output += usage.output_tokens ?? 0;
    totals.inputText += input.text_tokens ?? 0;
    totals.inputAudio += inputAudio;
    totals.cached += cached;
    totals.cachedAudio += cachedAudio;
    totals.cachedText += input.cached_tokens_details?.text_tokens ?? cached - cachedAudio;
    totals.outputText += output.text_tokens ?? 0;
    totals.outputAudio += output.audio_tokens ?? 0;
    this.#render();
  }

  /**
   * The server's own count for the call, which budgets enforce. It can trail the page's by a poll, and it
   * fills in where the page sees no usage (Azure's filtered Direct channel): the meter shows whichever is ahead.
   */
  showServerCount(count: ServerCount): void {
    this.#server = count;
    this.#render();
  }

  reset(): void {
    this.#totals = empty();
    this.#server = null;
    this.#render();
  }

  #render(): void {
    const totals = this.#totals;
    const server = this.#server !== null && this.#server.total > totals.total ? this.#server : null;
    this.#fields.total.textContent = formatNumber(server?.total ?? totals.total);
    this.#fields.input.textContent = formatNumber(server?.input ?? totals.input);
    this.#fields.output.textContent = formatNumber(server?.output ?? totals.output);
    const cost = this.#price === null ? null : server?.costUsd ?? estimateCost(totals, this.#price);
    this.#fields.cost.textContent = cost === null
      ? t('costUnknown')
      : formatNumber(cost, { style: 'currency', currency: 'USD', minimumFractionDigits: 4, maximumFractionDigits: 4 });
  }
}
