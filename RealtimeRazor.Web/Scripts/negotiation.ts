/** How the page gets OpenAI's SDP answer, in the mode the server announces. */
import { SessionError } from './errors.js';
import { problemText, t } from './i18n.js';
import type { PageConfig } from './page-config.js';

/** Any free id will do; the offer carries it as `dcid`. */
export const negotiatedChannelId = 0;

export interface Negotiated {
  readonly answer: string;
  /**
   * Where to DELETE to hang the call up, once the server knows the call (null: it never will).
   * Direct mode learns it by reporting the call, alongside the connection; a refused report rejects.
   */
  readonly hangUpUrl: Promise<string | null>;
}

/** What the page may choose about a session: the server turns a preset name into the session itself. */
export interface SessionChoice {
  readonly preset: string;
  readonly instructions: string;
}

interface ClientSecret {
  readonly value: string;
  readonly callsUrl: string;
  /** Names the server's slot for this secret when the call it starts is reported. */
  readonly slot: string;
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
    return { answer: await sdpFrom(response), hangUpUrl: Promise.resolve(response.headers.get('Location')) };
  }

  const secret = mintSecret(config, choice, signal);
  // Nothing waits on a rejected secret until the offer is ready; keep that from being reported as unhandled.
  secret.catch(() => undefined);
  const [sdp, { value, callsUrl, slot }] = [await offer, await secret];
  const response = await send(withChannel(config, callsUrl), {
    method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${value}` }, body: sdp, signal,
  }, 'openAI');
  if (!response.ok) throw new SessionError(openAIProblem(response));
  const answer = await sdpFrom(response);
  // OpenAI names the call in Location, as it does for the server. An upstream that does not let the page
  // read it leaves the call unreported: its slot then lapses with the secret (see the README).
  const callId = response.headers.get('Location')?.split('/').pop();
  const hangUpUrl = callId ? reportCall(config, slot, callId) : Promise.resolve(null);
  // Awaited once the connection is up; keep an early refusal from being reported as unhandled.
  hangUpUrl.catch(() => undefined);
  return { answer, hangUpUrl };
}

/**
 * Tells the server which call the secret started, so it counts against the limits and the server can
 * hang it up. Not tied to the attempt's abort signal: a call the server knows is one it can end.
 */
async function reportCall(config: PageConfig, slot: string, callId: string): Promise<string> {
  const url = `${config.callsUrl}/${encodeURIComponent(callId)}?${new URLSearchParams({ slot }).toString()}`;
  const response = await send(url, { method: 'PUT' }, 'server');
  if (!response.ok) throw new SessionError(await serverProblem(response));
  return response.headers.get('Location') ?? `${config.callsUrl}/${encodeURIComponent(callId)}`;
}

/** Only non-empty choices are sent, so a page without presets makes the same requests as before. */
export function withChoice(url: string, choice: SessionChoice): string {
  const query = new URLSearchParams();
  if (choice.preset !== '') query.set('preset', choice.preset);
  if (choice.instructions.trim() !== '') query.set('instructions', choice.instructions.trim());
  const continued = continuedConversation();
  if (continued !== null) query.set('continue', continued);
  const text = query.toString();
  return text === '' ? url : `${url}?${text}`;
}

/**
 * "Continue this conversation" opens this page with the kept conversation's id: the server adds its
 * last turns from the record, so only the id is sent, never the turns themselves.
 */
function continuedConversation(): string | null {
  const id = new URLSearchParams(window.location.search).get('continue');
  return id !== null && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : null;
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
  if (typeof body.value !== 'string' || typeof body.callsUrl !== 'string' || typeof body.slot !== 'string') {
    throw new SessionError(t('err.badSecret'));
  }
  return { value: body.value, callsUrl: body.callsUrl, slot: body.slot };
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
export async function serverProblem(response: Response): Promise<string> {
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
