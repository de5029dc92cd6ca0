/** The page's language: the texts the server rendered for it, looked up by typed keys. */
import { pageConfig } from './page-config.js';

/**
 * Every key the scripts look up. The server's table (UiStrings) must hold each: a server test reads
 * this list, and the page refuses to start without them rather than showing a key to the user.
 */
const keys = [
  'connect', 'disconnect', 'mute', 'unmute', 'you', 'assistant', 'transcript', 'interrupted',
  'noSpeech', 'transcriptionUnavailable', 'copied', 'copyFailed', 'costUnknown', 'timeLeft', 'microphoneN', 'speakerN',
  'status.idle', 'status.connecting', 'status.connected', 'status.disconnecting', 'status.failed',
  'user.quiet', 'user.speaking', 'user.muted', 'assistant.quiet', 'assistant.speaking',
  'err.connect', 'err.timeLimit', 'err.closed', 'err.lost', 'err.expired', 'err.openAI', 'err.noPath', 'err.cancelled',
  'err.noMediaDevices', 'err.micDenied', 'err.noMic', 'err.micBusy', 'err.micOther', 'err.switchMic', 'err.switchSpeaker',
  'err.unreachableServer', 'err.unreachableOpenAI', 'err.badAnswer', 'err.badSecret', 'err.serverStatus',
  'err.secretRefused', 'err.busyRetry', 'err.busy', 'err.unavailable', 'err.refused',
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

export function formatNumber(value: number, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(pageConfig.language, options).format(value);
}
