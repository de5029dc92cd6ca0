/**
 * Everything the server renders for the scripts, read and checked once: the `<main>` element's data
 * attributes and the #page-data JSON. A page that does not match fails here with a message naming
 * what is missing, not later as `undefined` somewhere in a call.
 */


export type Negotiation = 'Relay' | 'Direct';

/** The two ways a call reaches OpenAI (transport.ts runs the choice). Defined here: Connect needs the configuration before transport.ts loads. */
export type TransportName = 'WebRTC' | 'WebSocket';

export const transportNames: readonly TransportName[] = ['WebRTC', 'WebSocket'];

export interface Price {
  /** USD per one million tokens. */
  readonly audioInput: number;
  readonly audioOutput: number;
  readonly textInput: number;
  readonly textOutput: number;
  readonly cachedInput: number;
}

export type TurnDetection = Readonly<Record<string, unknown>> | null;

export interface PresetInfo {
  /** "" is the server's base configuration. */
  readonly name: string;
  /** The session's turn_detection; null means the server configured push-to-talk. */
  readonly turnDetection: TurnDetection;
}

export interface PageConfig {
  readonly negotiation: Negotiation;
  /** This server's Relay endpoint; call ids are appended to it to report (Direct) and hang up a call. */
  readonly callsUrl: string;
  readonly clientSecretUrl: string;
  /** Where a WebSocket call opens its socket to this server. */
  readonly socketUrl: string;
  /** The transports a call may use, in the order tried (Realtime:Transports). */
  readonly transports: readonly TransportName[];
  /** WARP: `oai-events` is created with a fixed id that the offer names, instead of opened in-band. */
  readonly preNegotiatedChannel: boolean;
  readonly maxSessionSeconds: number;
  /** The server has an API key: without one Connect stays disabled. */
  readonly available: boolean;
  readonly language: string;
  readonly strings: Readonly<Record<string, string>>;
  readonly presets: readonly PresetInfo[];
  readonly price: Price | null;
}

class PageConfigError extends Error {
  override readonly name = 'PageConfigError';

  constructor(what: string) {
    super(`The page's server configuration is not usable: ${what}.`);
  }
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new PageConfigError(`${what} is missing`);
  return value;
}

function negotiationFrom(value: string | undefined): Negotiation {
  if (value === 'Relay' || value === 'Direct') return value;
  throw new PageConfigError(`data-negotiation is '${value ?? ''}'`);
}

function transportsFrom(value: string | undefined): readonly TransportName[] {
  const names = (value ?? '').split(',');
  const transports = names.filter((name): name is TransportName => (transportNames as readonly string[]).includes(name));
  if (transports.length === 0 || transports.length !== names.length) throw new PageConfigError(`data-transports is '${value ?? ''}'`);
  return transports;
}

function secondsFrom(value: string | undefined): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new PageConfigError('data-max-session-seconds is not a positive number');
  return seconds;
}

function stringsFrom(value: unknown): Readonly<Record<string, string>> {
  if (!isRecord(value) || !Object.values(value).every((entry) => typeof entry === 'string')) throw new PageConfigError('strings is not a table of texts');
  return value as Readonly<Record<string, string>>;
}

function presetsFrom(value: unknown): readonly PresetInfo[] {
  if (!Array.isArray(value)) throw new PageConfigError('presets is not a list');
  return value.map((preset: unknown, index) => {
    if (!isRecord(preset)) throw new PageConfigError(`presets[${index}] is not an object`);
    const turnDetection = preset['turnDetection'];
    if (turnDetection !== null && !isRecord(turnDetection)) throw new PageConfigError(`presets[${index}].turnDetection is not an object or null`);
    return { name: text(preset['name'], `presets[${index}].name`), turnDetection };
  });
}

function priceFrom(value: unknown): Price | null {
  if (value === null || value === undefined) return null;
  if (!isRecord(value)) throw new PageConfigError('price is not an object');
  const rate = (name: keyof Price): number => {
    const perMillion = value[name];
    if (typeof perMillion !== 'number' || perMillion < 0) throw new PageConfigError(`price.${name} is not a rate`);
    return perMillion;
  };
  return {
    audioInput: rate('audioInput'), audioOutput: rate('audioOutput'), textInput: rate('textInput'),
    textOutput: rate('textOutput'), cachedInput: rate('cachedInput'),
  };
}

function read(): PageConfig {
  const root = document.querySelector<HTMLElement>('main[data-negotiation]');
  if (root === null) throw new PageConfigError('<main data-negotiation> is missing');
  const json = document.getElementById('page-data')?.textContent;
  if (json === undefined || json === null) throw new PageConfigError('#page-data is missing');
  const data: unknown = JSON.parse(json);
  if (!isRecord(data)) throw new PageConfigError('#page-data is not an object');
  const { dataset } = root;
  return {
    negotiation: negotiationFrom(dataset['negotiation']),
    callsUrl: text(dataset['callsUrl'], 'data-calls-url'),
    clientSecretUrl: text(dataset['clientSecretUrl'], 'data-client-secret-url'),
    socketUrl: text(dataset['socketUrl'], 'data-socket-url'),
    transports: transportsFrom(dataset['transports']),
    preNegotiatedChannel: dataset['preNegotiatedChannel'] === 'true',
    maxSessionSeconds: secondsFrom(dataset['maxSessionSeconds']),
    // On Connect itself, which the server renders disabled when there is no API key.
    available: document.getElementById('connect')?.dataset['available'] === 'true',
    language: text(data['language'], 'language'),
    strings: stringsFrom(data['strings']),
    presets: presetsFrom(data['presets']),
    price: priceFrom(data['price']),
  };
}

export const pageConfig: PageConfig = read();
