import { t } from './i18n.js';
import { pageConfig } from './page-config.js';
import { speakerLabel, type TranscriptEntry } from './transcript.js';

export function toMarkdown(entries: readonly TranscriptEntry[], when: Date): string {
  const lines = [`# ${t('transcript')}`, '', `_${when.toISOString()}_`, ''];
  for (const entry of entries) {
    const note = entry.interrupted ? ` _${t('interrupted')}_` : '';
    lines.push(`**${speakerLabel(entry.speaker)}:** ${entry.text.replaceAll('\n', '  \n')}${note}`, '');
  }
  return lines.join('\n');
}

export function toJson(entries: readonly TranscriptEntry[], when: Date): string {
  return JSON.stringify({
    exportedAt: when.toISOString(),
    language: pageConfig.language,
    items: entries.map((entry) => ({ id: entry.itemId, role: entry.speaker, text: entry.text, interrupted: entry.interrupted })),
  }, null, 2);
}

/** Saves text as a file through a temporary object URL, released once the download has started. */
function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function fileStem(when: Date): string {
  return `transcript-${when.toISOString().slice(0, 19).replaceAll(':', '-')}`;
}

export interface ExportElements {
  readonly markdown: HTMLButtonElement;
  readonly json: HTMLButtonElement;
  readonly copy: HTMLButtonElement;
  /** Says whether copying worked. */
  readonly note: HTMLElement;
}

/** Download and copy buttons for whatever the transcript holds when they are clicked. */
export function wireExport(elements: ExportElements, entries: () => readonly TranscriptEntry[]): void {
  elements.markdown.addEventListener('click', () => {
    const now = new Date();
    download(toMarkdown(entries(), now), `${fileStem(now)}.md`, 'text/markdown;charset=utf-8');
  });
  elements.json.addEventListener('click', () => {
    const now = new Date();
    download(toJson(entries(), now), `${fileStem(now)}.json`, 'application/json');
  });
  elements.copy.addEventListener('click', () => {
    // Wrapped so a browser without the Clipboard API (plain http) ends in the message, not an exception.
    Promise.resolve().then(() => navigator.clipboard.writeText(toMarkdown(entries(), new Date()))).then(
      () => { elements.note.textContent = t('copied'); },
      () => { elements.note.textContent = t('copyFailed'); },
    );
  });
}
