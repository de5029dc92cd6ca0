import { t } from './i18n.js';

/**
 * The session's remaining time, shown while connected. The page ends the session itself at zero;
 * the server also hangs the call up (Direct mode: once reported), so a closed tab cannot keep it running.
 */
export class TimeLimit {
  readonly #display: HTMLElement;
  readonly #seconds: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(display: HTMLElement, seconds: number) {
    this.#display = display;
    this.#seconds = seconds;
  }

  get minutes(): number {
    return Math.round(this.#seconds / 60);
  }

  start(onExpired: () => void): void {
    this.stop();
    const endsAt = Date.now() + this.#seconds * 1000;
    const tick = (): void => {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      this.#display.textContent = t('timeLeft', { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` });
      if (left === 0) {
        this.stop();
        onExpired();
      }
    };
    this.#display.hidden = false;
    tick();
    this.#timer = setInterval(tick, 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#display.hidden = true;
  }
}
