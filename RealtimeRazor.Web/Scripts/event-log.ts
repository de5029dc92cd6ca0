const maxEntries = 500;

export type Direction = 'in' | 'out';

/** Type and time of every event in both directions; bodies stay out (they can hold instructions). */
export class EventLog {
  readonly #list: HTMLOListElement;

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  add(direction: Direction, type: string): void {
    const entry = document.createElement('li');
    entry.dataset['direction'] = direction;
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString(undefined, { hour12: false }) + `.${String(now.getMilliseconds()).padStart(3, '0')}`;
    const arrow = direction === 'in' ? '↓' : '↑';
    entry.append(time, ` ${arrow} `, type);
    this.#list.append(entry);
    while (this.#list.childElementCount > maxEntries) this.#list.firstElementChild?.remove();
  }

  clear(): void {
    this.#list.replaceChildren();
  }
}
