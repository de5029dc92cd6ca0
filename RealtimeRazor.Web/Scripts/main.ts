/**
 * The voice page, put together: find the elements, make the page's parts, and hand the call its
 * parts. What each part does is in its own module; the call's states and their lifetimes are in call.ts.
 */
import { Call } from './call.js';
import { pageConfig } from './page-config.js';
import type { PartElements } from './page-parts.js';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The page is missing #${id}.`);
  return found;
}

/** Rendered only when the operator offers the choice (presets, custom instructions). */
function optionalElement<T extends HTMLElement>(id: string, type: new () => T): T | null {
  const found = document.getElementById(id);
  return found instanceof type ? found : null;
}

const audio = element('assistant-audio', HTMLAudioElement);
const parts: PartElements = {
  transcript: element('transcript', HTMLOListElement),
  eventLog: element('event-log', HTMLOListElement),
  timeLeft: element('time-left', HTMLElement),
  usage: {
    total: element('usage-total', HTMLElement),
    input: element('usage-input', HTMLElement),
    output: element('usage-output', HTMLElement),
    cost: element('usage-cost', HTMLElement),
  },
  controls: {
    mute: element('mute', HTMLButtonElement),
    pushToTalk: element('push-to-talk', HTMLInputElement),
    hold: element('hold-to-talk', HTMLButtonElement),
    holdHint: element('hold-hint', HTMLElement),
    interrupt: element('interrupt', HTMLButtonElement),
    messageForm: element('message-form', HTMLFormElement),
    message: element('message', HTMLInputElement),
    send: element('send', HTMLButtonElement),
    userIndicator: element('user-speaking', HTMLElement),
    assistantIndicator: element('assistant-speaking', HTMLElement),
  },
  microphone: element('microphone', HTMLSelectElement),
  speaker: element('speaker', HTMLSelectElement),
  speakerField: element('speaker-field', HTMLElement),
  audio,
  export: {
    markdown: element('download-markdown', HTMLButtonElement),
    json: element('download-json', HTMLButtonElement),
    copy: element('copy-transcript', HTMLButtonElement),
    note: element('export-note', HTMLElement),
  },
};
// A Connect click that came before this script ran was kept by the page's inline script; the Call carries it out. The
// page's other parts are fetched from here on (page-parts.ts); a click that beats them waits for them.
const call = new Call(pageConfig, {
  connect: element('connect', HTMLButtonElement),
  reconnect: element('reconnect', HTMLButtonElement),
  status: element('status', HTMLElement),
  alert: element('error', HTMLElement),
  settings: element('session-settings', HTMLElement),
  rateLimit: element('rate-limit', HTMLElement),
  approvals: element('mcp-approvals', HTMLUListElement),
  toolsNotice: element('tools-notice', HTMLElement),
  budgetNotice: element('budget-notice', HTMLElement),
  preset: optionalElement('preset', HTMLSelectElement),
  instructions: optionalElement('instructions', HTMLTextAreaElement),
  audio,
  micCanvas: element('mic-wave', HTMLCanvasElement),
  assistantCanvas: element('assistant-wave', HTMLCanvasElement),
}, import('./page-parts.js').then(({ createParts }) => createParts(parts, {
  onMicrophone: (deviceId) => void call.switchMicrophone(deviceId),
  onError: (message) => call.showError(message),
})));
