/** How the page gets OpenAI's SDP answer, in the mode the server announces. */

export interface PageConfig {
  readonly negotiation: 'Relay' | 'Direct';
  /** This server's Relay endpoint; call ids are appended to it for hang-up. */
  readonly callsUrl: string;
  readonly clientSecretUrl: string;
}

/** A failure worded for the person using the page. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
}

export interface Negotiated {
  readonly answer: string;
  /** Where to DELETE to hang the call up, when the call id is known. */
  readonly hangUpUrl: string | null;
}

interface ClientSecret {
  readonly value: string;
  readonly callsUrl: string;
}

export function readPageConfig(root: HTMLElement): PageConfig {
  const { negotiation, callsUrl, clientSecretUrl } = root.dataset;
  if ((negotiation !== 'Relay' && negotiation !== 'Direct') || callsUrl === undefined || clientSecretUrl === undefined) {
    throw new Error('The page is missing its negotiation settings.');
  }
  return { negotiation, callsUrl, clientSecretUrl };
}

/**
 * Exchanges the offer for an answer. In Direct mode the secret is minted while the offer is still
 * being made (microphone permission included), so the two waits overlap.
 */
export async function negotiate(config: PageConfig, offer: Promise<string>, signal: AbortSignal): Promise<Negotiated> {
  if (config.negotiation === 'Relay') {
    const response = await send(config.callsUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: await offer, signal,
    }, 'this server');
    if (!response.ok) throw new SessionError(await serverProblem(response));
    return { answer: await sdpFrom(response), hangUpUrl: response.headers.get('Location') };
  }

  const secret = mintSecret(config, signal);
  // Nothing waits on a rejected secret until the offer is ready; keep that from being reported as unhandled.
  secret.catch(() => undefined);
  const [sdp, { value, callsUrl }] = [await offer, await secret];
  const response = await send(callsUrl, {
    method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${value}` }, body: sdp, signal,
  }, 'OpenAI');
  if (!response.ok) throw new SessionError(openAIProblem(response));
  const callId = response.headers.get('Location')?.split('/').pop();
  return { answer: await sdpFrom(response), hangUpUrl: callId ? `${config.callsUrl}/${encodeURIComponent(callId)}` : null };
}

async function mintSecret(config: PageConfig, signal: AbortSignal): Promise<ClientSecret> {
  const response = await send(config.clientSecretUrl, { method: 'POST', signal }, 'this server');
  if (!response.ok) throw new SessionError(await serverProblem(response));
  const body = (await response.json()) as Partial<ClientSecret>;
  if (typeof body.value !== 'string' || typeof body.callsUrl !== 'string') {
    throw new SessionError('This server sent an unusable session secret. Try again.');
  }
  return { value: body.value, callsUrl: body.callsUrl };
}

async function send(url: string, init: RequestInit, who: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new SessionError(`Could not reach ${who}. Check your network connection and try again.`);
  }
}

// The answer is read as text whatever its content type: it is application/sdp, which fetch helpers
// that guess from content types turn into something setRemoteDescription cannot read.
async function sdpFrom(response: Response): Promise<string> {
  const sdp = await response.text();
  if (!sdp.startsWith('v=0')) throw new SessionError('OpenAI sent an answer this page cannot use. Try again in a moment.');
  return sdp;
}

/** This server answers problem+json written for the user; show its detail. */
async function serverProblem(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { title?: unknown; detail?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
    if (typeof problem.title === 'string') return problem.title;
  } catch {
    // Not JSON: a proxy in between answered. Fall through to the status.
  }
  return `The server answered ${response.status}. Try again in a moment.`;
}

/** OpenAI's own error bodies can quote the secret: only the status is used. */
function openAIProblem(response: Response): string {
  const retryAfter = Number(response.headers.get('Retry-After'));
  switch (true) {
    case response.status === 401 || response.status === 403:
      return 'OpenAI refused the session secret. Try connecting again.';
    case response.status === 429:
      return retryAfter > 0 ? `OpenAI is busy. Try again in ${Math.ceil(retryAfter)} s.` : 'OpenAI is busy. Try again in a minute.';
    case response.status >= 500:
      return 'OpenAI is unavailable. Try again in a moment.';
    default:
      return `OpenAI refused the connection (${response.status}). Try again; if it keeps failing, tell the site owner.`;
  }
}
