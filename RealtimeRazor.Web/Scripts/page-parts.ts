/**
 * The page's parts that follow the call (transcript, event log, usage, conversation controls, devices,
 * time limit, export). Connect does not need them to be enabled, so they are fetched once it is, which
 * keeps their requests off a slow network's critical path; a click that comes first waits for them.
 */
import type { CallParts } from './call.js';
import { ConversationControls, type ControlElements } from './controls.js';
import { DevicePicker, type DeviceCallbacks } from './devices.js';
import { EventLog } from './event-log.js';
import { wireExport, type ExportElements } from './export.js';
import { pageConfig } from './page-config.js';
import { TimeLimit } from './time-limit.js';
import { Transcript } from './transcript.js';
import { UsageMeter, type UsageFields } from './usage.js';

export interface PartElements {
  readonly transcript: HTMLOListElement;
  readonly eventLog: HTMLOListElement;
  readonly timeLeft: HTMLElement;
  readonly usage: UsageFields;
  readonly controls: ControlElements;
  readonly microphone: HTMLSelectElement;
  readonly speaker: HTMLSelectElement;
  readonly speakerField: HTMLElement;
  readonly audio: HTMLAudioElement;
  readonly export: ExportElements;
}

export function createParts(elements: PartElements, devices: DeviceCallbacks): CallParts {
  const transcript = new Transcript(elements.transcript);
  wireExport(elements.export, () => transcript.entries());
  return {
    transcript,
    eventLog: new EventLog(elements.eventLog),
    timeLimit: new TimeLimit(elements.timeLeft, pageConfig.maxSessionSeconds),
    usage: new UsageMeter(elements.usage, pageConfig.price),
    controls: new ConversationControls(elements.controls, transcript),
    devices: new DevicePicker(elements.microphone, elements.speaker, elements.speakerField, elements.audio, devices),
  };
}
