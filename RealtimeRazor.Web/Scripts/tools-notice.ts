/**
 * The server's sideband to the call is invisible to the page's own channel, so the page asks the server
 * (the call's URL) and says "tools unavailable" while the call has tools the server cannot reach.
 */
const pollMs = 2_000;

interface CallStatus {
  readonly sideband?: string;
  readonly tools?: number;
}

export class ToolsNotice {
  readonly #element: HTMLElement;
  #timer: ReturnType<typeof setInterval> | undefined;
  #generation = 0;

  constructor(element: HTMLElement) {
    this.#element = element;
  }

  /** Starts watching the call at `callUrl` (null: the server does not know the call, so it has no tools). */
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

  stop(): void {
    this.#generation++;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#element.hidden = true;
  }

  async #check(url: string, generation: number): Promise<void> {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' } });
      if (!response.ok || generation !== this.#generation) return;
      const status = (await response.json()) as CallStatus;
      if (generation !== this.#generation) return;
      this.#element.hidden = !(status.sideband === 'unavailable' && (status.tools ?? 0) > 0);
    } catch {
      // A missed poll changes nothing: the next one decides.
    }
  }
}
