import { t } from './i18n.js';
import { is, type ClientEvent, type ConversationItem, type RealtimeEvent } from './protocol.js';

/** Arguments are shown so the user knows what they allow, cut short: the model's input is not for reading in full. */
const shownArgumentCharacters = 160;

/**
 * Asks the user before OpenAI calls a tool on a remote MCP server that requires approval
 * (an `mcp_approval_request` item), and sends the answer as an `mcp_approval_response`.
 * A request still open when the call ends is withdrawn with it.
 */
export class McpApprovals {
  readonly #list: HTMLUListElement;
  readonly #asked = new Set<string>();
  #send: ((event: ClientEvent) => void) | null = null;

  constructor(list: HTMLUListElement) {
    this.#list = list;
  }

  attach(send: (event: ClientEvent) => void): void {
    this.#send = send;
  }

  detach(): void {
    this.#send = null;
    this.clear();
  }

  clear(): void {
    this.#asked.clear();
    this.#list.replaceChildren();
    this.#list.hidden = true;
  }

  apply(event: RealtimeEvent): void {
    if ((is(event, 'conversation.item.added') || is(event, 'conversation.item.done')) && event.item.type === 'mcp_approval_request') {
      this.#ask(event.item);
    }
  }

  #ask(item: ConversationItem): void {
    if (this.#asked.has(item.id)) return;
    this.#asked.add(item.id);
    const entry = document.createElement('li');
    const question = document.createElement('p');
    question.textContent = t('mcp.ask', { tool: item.name ?? '?', server: item.server_label ?? '?' });
    entry.append(question);
    if (item.arguments !== undefined && item.arguments !== '') {
      const shown = document.createElement('code');
      shown.textContent = item.arguments.length > shownArgumentCharacters ? `${item.arguments.slice(0, shownArgumentCharacters)}…` : item.arguments;
      entry.append(shown);
    }
    const answer = (approve: boolean): void => {
      this.#send?.({ type: 'conversation.item.create', item: { type: 'mcp_approval_response', approval_request_id: item.id, approve } });
      entry.remove();
      this.#list.hidden = this.#list.childElementCount === 0;
    };
    entry.append(button(t('mcp.allow'), () => answer(true)), ' ', button(t('mcp.deny'), () => answer(false)));
    this.#list.append(entry);
    this.#list.hidden = false;
  }
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.addEventListener('click', onClick, { once: true });
  return element;
}
