import { t } from './i18n.js';

type SinkableAudio = HTMLAudioElement & { setSinkId(id: string): Promise<void> };

function canChooseSpeaker(audio: HTMLAudioElement): audio is SinkableAudio {
  return typeof (audio as Partial<SinkableAudio>).setSinkId === 'function';
}

export interface DeviceCallbacks {
  /** The user picked another microphone; '' is the system default. */
  onMicrophone(deviceId: string): void;
  onError(message: string): void;
}

/**
 * Microphone and speaker pickers. Browsers hide device names until the microphone is allowed,
 * so the lists are filled again once a session has the microphone, and whenever devices or the
 * permission change. The same listing tells whether the microphone will open without a prompt,
 * known before a Connect click so the click need not wait on the browser to find out. Lives as long
 * as the page.
 */
export class DevicePicker {
  readonly #microphones: HTMLSelectElement;
  readonly #speakers: HTMLSelectElement;
  readonly #audio: HTMLAudioElement;
  readonly #callbacks: DeviceCallbacks;
  #permission: PermissionStatus | null = null;
  #microphoneAllowed = false;

  constructor(microphones: HTMLSelectElement, speakers: HTMLSelectElement, speakerField: HTMLElement, audio: HTMLAudioElement, callbacks: DeviceCallbacks) {
    this.#microphones = microphones;
    this.#speakers = speakers;
    this.#audio = audio;
    this.#callbacks = callbacks;
    // Only offered where the browser can route audio to a chosen device (not Safari or Firefox on phones).
    speakerField.hidden = !canChooseSpeaker(audio);
    microphones.addEventListener('change', () => callbacks.onMicrophone(microphones.value));
    speakers.addEventListener('change', () => void this.#applySpeaker());
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.refresh().catch(() => undefined));
    void this.#watchPermission().finally(() => this.refresh()).catch(() => undefined);
  }

  get microphoneId(): string {
    return this.#microphones.value;
  }

  /** Allowed already, and a device to open. Browsers that cannot tell answer "no", the cautious answer. */
  get microphoneAllowed(): boolean {
    return this.#microphoneAllowed;
  }

  async refresh(): Promise<void> {
    if (navigator.mediaDevices?.enumerateDevices === undefined) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    this.#microphoneAllowed = this.#permission?.state === 'granted' && devices.some((device) => device.kind === 'audioinput');
    fill(this.#microphones, devices.filter((device) => device.kind === 'audioinput'), 'microphoneN');
    fill(this.#speakers, devices.filter((device) => device.kind === 'audiooutput'), 'speakerN');
  }

  async #watchPermission(): Promise<void> {
    this.#permission = await navigator.permissions.query({ name: 'microphone' as PermissionName });
    this.#permission.addEventListener('change', () => void this.refresh().catch(() => undefined));
  }

  async #applySpeaker(): Promise<void> {
    if (!canChooseSpeaker(this.#audio)) return;
    try {
      await this.#audio.setSinkId(this.#speakers.value);
    } catch {
      this.#callbacks.onError(t('err.switchSpeaker'));
    }
  }
}

/** Keeps the current choice when it still exists; the first option is always the system default. */
function fill(select: HTMLSelectElement, devices: readonly MediaDeviceInfo[], fallbackKey: 'microphoneN' | 'speakerN'): void {
  const current = select.value;
  const keep = select.options[0];
  const options = devices
    // Before permission, ids are blank; "default" duplicates the first option.
    .filter((device) => device.deviceId !== '' && device.deviceId !== 'default')
    .map((device, index) => {
      const option = document.createElement('option');
      option.value = device.deviceId;
      option.textContent = device.label || t(fallbackKey, { n: index + 1 });
      return option;
    });
  select.replaceChildren(...(keep === undefined ? [] : [keep]), ...options);
  select.value = options.some((option) => option.value === current) ? current : '';
}

