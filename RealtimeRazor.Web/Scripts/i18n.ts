/** The page's language: the texts the server rendered for it, looked up by typed keys. */
import { pageConfig } from './page-config.js';

/**
 * Every key the scripts look up. The server's table (UiStrings) must hold each: a server test reads
 * this list, and the page refuses to start without them rather than showing a key to the user.
 */
const keys = [
  'connect', 'disconnect', 'mute', 'unmute', 'you', 'assistant', 'transcript', 'interrupted',
  'tool', 'toolFailed', 'toolsUnavailable',
  'noSpeech', 'transcriptionUnavailable', 'copied', 'copyFailed', 'costUnknown', 'timeLeft', 'microphoneN', 'speakerN',
  'status.idle', 'status.connecting', 'status.connected', 'status.connectedWebSocket', 'status.disconnecting', 'status.failed',
  'user.quiet', 'user.speaking', 'user.muted', 'assistant.quiet', 'assistant.speaking',
  'err.connect', 'err.timeLimit', 'err.closed', 'err.lost', 'err.expired', 'err.openAI', 'err.noPath', 'err.cancelled',
  'err.noMediaDevices', 'err.micDenied', 'err.noMic', 'err.micBusy', 'err.micOther', 'err.switchMic', 'err.switchSpeaker',
  'err.unreachableServer', 'err.unreachableOpenAI', 'err.badAnswer', 'err.badSecret', 'err.serverStatus',
  'err.secretRefused', 'err.busyRetry', 'err.busy', 'err.unavailable', 'err.refused', 'err.serverGone',
  'inForce', 'inForce.voice', 'inForce.pushToTalk', 'inForce.voiceActivity', 'inForce.model',
  'rateLimitNear', 'limit.requests', 'limit.tokens', 'mcp.ask', 'mcp.allow', 'mcp.deny',
] as const;

export type StringKey = (typeof keys)[number];

const missing = keys.filter((key) => pageConfig.strings[key] === undefined);
if (missing.length > 0) throw new Error(`The server sent no text for ${missing.join(', ')}.`);

/** The string for `key` in the page's language, with each {name} replaced. */
export function t(key: StringKey, values: Readonly<Record<string, string | number>> = {}): string {
  let text = pageConfig.strings[key] ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/**
 * A refusal from this server (problem+json) in the page's language: its `code` picks the text
 * (`problem.<code>`), its extensions fill the text's {names}. A text naming a value the answer lacks
 * gives way to `problem.<code>.general`, the same rule the server follows. Null for a code this page
 * has no text for, so the caller can fall back to the server's own detail.
 */
export function problemText(problem: Readonly<Record<string, unknown>>): string | null {
  const code = problem['code'];
  if (typeof code !== 'string') return null;
  const key = `problem.${code}`;
  return fill(pageConfig.strings[key], problem) ?? fill(pageConfig.strings[`${key}.general`], problem);
}

function fill(template: string | undefined, values: Readonly<Record<string, unknown>>): string | null {
  if (template === undefined) return null;
  let complete = true;
  const text = template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    complete = false;
    return placeholder;
  });
  return complete ? text : null;
}

export function formatNumber(value: number, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(pageConfig.language, options).format(value);
}
