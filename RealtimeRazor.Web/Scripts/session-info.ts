import { formatNumber, t } from './i18n.js';
import { is, type RateLimit, type RealtimeEvent, type SessionSummary } from './protocol.js';

/** Below this share of a limit left, the user is warned before OpenAI starts refusing. */
const warnBelow = 0.1;

/**
 * What OpenAI says is in force for the call (`session.updated`: voice, turn-taking, model), so a user who
 * switched to push-to-talk sees that it took; and a warning before a rate limit is reached
 * (`rate_limits.updated`), rather than a refusal out of the blue.
 */
export class SessionInfo {
  readonly #settings: HTMLElement;
  readonly #limits: HTMLElement;

  constructor(settings: HTMLElement, limits: HTMLElement) {
    this.#settings = settings;
    this.#limits = limits;
  }

  apply(event: RealtimeEvent): void {
    if (is(event, 'session.updated')) this.#showSettings(event.session);
    else if (is(event, 'rate_limits.updated')) this.#showLimits(event.rate_limits);
  }

  clear(): void {
    for (const element of [this.#settings, this.#limits]) {
      element.textContent = '';
      element.hidden = true;
    }
  }

  #showSettings(session: SessionSummary): void {
    const turnDetection = session.audio?.input?.turn_detection;
    const parts = [
      session.audio?.output?.voice === undefined ? null : t('inForce.voice', { voice: session.audio.output.voice }),
      turnDetection === undefined ? null : t(turnDetection === null ? 'inForce.pushToTalk' : 'inForce.voiceActivity'),
      session.model === undefined ? null : t('inForce.model', { model: session.model }),
    ].filter((part): part is string => part !== null);
    this.#settings.textContent = parts.length === 0 ? '' : t('inForce', { settings: parts.join(' · ') });
    this.#settings.hidden = parts.length === 0;
  }

  #showLimits(limits: readonly RateLimit[]): void {
    const near = limits.find((limit) => limit.limit > 0 && limit.remaining / limit.limit < warnBelow);
    this.#limits.textContent = near === undefined ? '' : t('rateLimitNear', {
      remaining: formatNumber(near.remaining),
      what: near.name === 'requests' ? t('limit.requests') : near.name === 'tokens' ? t('limit.tokens') : near.name,
      seconds: formatNumber(Math.ceil(near.reset_seconds)),
    });
    this.#limits.hidden = near === undefined;
  }
}
