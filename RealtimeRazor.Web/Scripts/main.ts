/**
 * The voice page, put together: find the elements, make the page's parts, and hand the call its
 * parts. What each part does is in its own module; the call's states and their lifetimes are in call.ts.
 */
import { Call } from './call.js';
import { ConversationControls } from './controls.js';
import { DevicePicker } from './devices.js';
import { EventLog } from './event-log.js';
import { wireExport } from './export.js';
import { pageConfig } from './page-config.js';
import { TimeLimit } from './time-limit.js';
import { Transcript } from './transcript.js';
import { UsageMeter } from './usage.js';

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
const transcript = new Transcript(element('transcript', HTMLOListElement));
const eventLog = new EventLog(element('event-log', HTMLOListElement));
const timeLimit = new TimeLimit(element('time-left', HTMLElement), pageConfig.maxSessionSeconds);
const usage = new UsageMeter({
  total: element('usage-total', HTMLElement),
  input: element('usage-input', HTMLElement),
  output: element('usage-output', HTMLElement),
  cost: element('usage-cost', HTMLElement),
}, pageConfig.price);
const controls = new ConversationControls({
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
}, transcript);
const devices = new DevicePicker(
  element('microphone', HTMLSelectElement), element('speaker', HTMLSelectElement), element('speaker-field', HTMLElement), audio,
  { onMicrophone: (deviceId) => void call.switchMicrophone(deviceId), onError: (message) => call.showError(message) },
);
// Connect is rendered disabled and enabled here, so a click before this script has run is never lost.
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
}, { transcript, eventLog, usage, controls, devices, timeLimit });
wireExport({
  markdown: element('download-markdown', HTMLButtonElement),
  json: element('download-json', HTMLButtonElement),
  copy: element('copy-transcript', HTMLButtonElement),
  note: element('export-note', HTMLElement),
}, () => transcript.entries());
