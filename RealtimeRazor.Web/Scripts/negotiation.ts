/** How the page gets OpenAI's SDP answer, in the mode the server announces. */
import { problemText, t } from './i18n.js';

export interface PageConfig {
  readonly negotiation: 'Relay' | 'Direct';
  /** This server's Relay endpoint; call ids are appended to it for hang-up. */
  readonly callsUrl: string;
  readonly clientSecretUrl: string;
  /** WARP: `oai-events` is created with a fixed id that the offer names, instead of opened in-band. */
  readonly preNegotiatedChannel: boolean;
}

/** Any free id will do; the offer carries it as `dcid`. */
export const negotiatedChannelId = 0;

/** A failure worded for the person using the page. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
}

export interface Negotiated {
  readonly answer: string;
  /** Where to DELETE to hang the call up, when the call id is known. */
  readonly hangUpUrl: string | null;
}

/** What the page may choose about a session: the server turns a preset name into the session itself. */
export interface SessionChoice {
  readonly preset: string;
  readonly instructions: string;
}

interface ClientSecret {
  readonly value: string;
  readonly callsUrl: string;
}

export function readPageConfig(root: HTMLElement): PageConfig {
  const { negotiation, callsUrl, clientSecretUrl, preNegotiatedChannel } = root.dataset;
  if ((negotiation !== 'Relay' && negotiation !== 'Direct') || callsUrl === undefined || clientSecretUrl === undefined) {
    throw new Error('The page is missing its negotiation settings.');
  }
  return { negotiation, callsUrl, clientSecretUrl, preNegotiatedChannel: preNegotiatedChannel === 'true' };
}

/**
 * Exchanges the offer for an answer. In Direct mode the secret is minted while the offer is still
 * being made (microphone permission included), so the two waits overlap.
 */
export async function negotiate(config: PageConfig, choice: SessionChoice, offer: Promise<string>, signal: AbortSignal): Promise<Negotiated> {
  if (config.negotiation === 'Relay') {
    const response = await send(withChannel(config, withChoice(config.callsUrl, choice)), {
      method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: await offer, signal,
    }, 'server');
    if (!response.ok) throw new SessionError(await serverProblem(response));
    return { answer: await sdpFrom(response), hangUpUrl: response.headers.get('Location') };
  }

  const secret = mintSecret(config, choice, signal);
  // Nothing waits on a rejected secret until the offer is ready; keep that from being reported as unhandled.
  secret.catch(() => undefined);
  const [sdp, { value, callsUrl }] = [await offer, await secret];
  const response = await send(withChannel(config, callsUrl), {
    method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${value}` }, body: sdp, signal,
  }, 'openAI');
  if (!response.ok) throw new SessionError(openAIProblem(response));
  const callId = response.headers.get('Location')?.split('/').pop();
  return { answer: await sdpFrom(response), hangUpUrl: callId ? `${config.callsUrl}/${encodeURIComponent(callId)}` : null };
}

/** Only non-empty choices are sent, so a page without presets makes the same requests as before. */
function withChoice(url: string, choice: SessionChoice): string {
  const query = new URLSearchParams();
  if (choice.preset !== '') query.set('preset', choice.preset);
  if (choice.instructions.trim() !== '') query.set('instructions', choice.instructions.trim());
  const text = query.toString();
  return text === '' ? url : `${url}?${text}`;
}

/** OpenAI learns the pre-negotiated channel's id from the `dcid` query parameter of the call. */
function withChannel(config: PageConfig, url: string): string {
  if (!config.preNegotiatedChannel) return url;
  return `${url}${url.includes('?') ? '&' : '?'}dcid=${negotiatedChannelId}`;
}

async function mintSecret(config: PageConfig, choice: SessionChoice, signal: AbortSignal): Promise<ClientSecret> {
  const response = await send(withChoice(config.clientSecretUrl, choice), { method: 'POST', signal }, 'server');
  if (!response.ok) throw new SessionError(await serverProblem(response));
  const body = (await response.json()) as Partial<ClientSecret>;
  if (typeof body.value !== 'string' || typeof body.callsUrl !== 'string') {
    throw new SessionError(t('err.badSecret'));
  }
  return { value: body.value, callsUrl: body.callsUrl };
}

async function send(url: string, init: RequestInit, who: 'server' | 'openAI'): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new SessionError(t(who === 'server' ? 'err.unreachableServer' : 'err.unreachableOpenAI'));
  }
}

// The answer is read as text whatever its content type: it is application/sdp, which fetch helpers
// that guess from content types turn into something setRemoteDescription cannot read.
async function sdpFrom(response: Response): Promise<string> {
  const sdp = await response.text();
  if (!sdp.startsWith('v=0')) throw new SessionError(t('err.badAnswer'));
  return sdp;
}

/**
 * This server refuses with problem+json that carries a `code`: the page says it in its own language,
 * and only for a code it does not know shows the server's detail.
 */
async function serverProblem(response: Response): Promise<string> {
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null) {
      const problem = body as Readonly<Record<string, unknown>>;
      const localized = problemText(problem);
      if (localized !== null) return localized;
      if (typeof problem['detail'] === 'string') return problem['detail'];
      if (typeof problem['title'] === 'string') return problem['title'];
    }
  } catch {
    // Not JSON: a proxy in between answered. Fall through to the status.
  }
  return t('err.serverStatus', { status: response.status });
}

/** OpenAI's own error bodies can quote the secret: only the status is used. */
function openAIProblem(response: Response): string {
  const retryAfter = Number(response.headers.get('Retry-After'));
  switch (true) {
    case response.status === 401 || response.status === 403:
      return t('err.secretRefused');
    case response.status === 429:
      return retryAfter > 0 ? t('err.busyRetry', { seconds: Math.ceil(retryAfter) }) : t('err.busy');
    case response.status >= 500:
      return t('err.unavailable');
    default:
      return t('err.refused', { status: response.status });
  }
}
