/**
 * What only the server knows about the call, asked of it (the call's URL) while the call lasts: whether its
 * sideband is up ("tools unavailable" while the call has tools the server cannot reach), its own count of
 * the call's usage (what budgets enforce), and whether the budget ran out (the call ends after this reply).
 */
const pollMs = 2_000;

/** The server's count of the call's tokens and their cost in US dollars. */
export interface ServerCount {
  readonly total: number;
  readonly input: number;
  readonly output: number;
  readonly costUsd: number;
}

interface CallStatus {
  readonly sideband?: string;
  readonly tools?: number;
  readonly usage?: { readonly total?: number; readonly input?: number; readonly output?: number };
  readonly costUsd?: number;
  readonly budgetSpent?: boolean;
}

export interface CallStatusElements {
  readonly toolsNotice: HTMLElement;
  readonly budgetNotice: HTMLElement;
}

export class CallStatusWatch {
  readonly #elements: CallStatusElements;
  readonly #onCount: (count: ServerCount) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #generation = 0;

  constructor(elements: CallStatusElements, onCount: (count: ServerCount) => void) {
    this.#elements = elements;
    this.#onCount = onCount;
  }

  /** Starts watching the call at `callUrl` (null: the server does not know the call). */
  watch(callUrl: Promise<string | null>): void {
    this.stop();
    const generation = this.#generation;
    void callUrl.catch(() => null).then((url) => {
      if (url === null || generation !== this.#generation) return;
      const check = (): void => void this.#check(url, generation);
      check();
      this.#timer = setInterval(check, pollMs);
    });
  }

  /** The budget notice stays up after the call it ended: it says why the call is over. */
  stop(): void {
    this.#generation++;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#elements.toolsNotice.hidden = true;
  }

  clear(): void {
    this.stop();
    this.#elements.budgetNotice.hidden = true;
  }

  async #check(url: string, generation: number): Promise<void> {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' } });
      if (!response.ok || generation !== this.#generation) return;
      const status = (await response.json()) as CallStatus;
      if (generation !== this.#generation) return;
      this.#elements.toolsNotice.hidden = !(status.sideband === 'unavailable' && (status.tools ?? 0) > 0);
      if (status.budgetSpent === true) this.#elements.budgetNotice.hidden = false;
      if (status.usage !== undefined) {
        this.#onCount({ total: status.usage.total ?? 0, input: status.usage.input ?? 0, output: status.usage.output ?? 0, costUsd: status.costUsd ?? 0 });
      }
    } catch {
      // A missed poll changes nothing: the next one decides.
    }
  }
}
