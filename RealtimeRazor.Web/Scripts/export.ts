import { pageData, t } from './i18n.js';
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
    language: pageData.language,
    items: entries.map((entry) => ({ id: entry.itemId, role: entry.speaker, text: entry.text, interrupted: entry.interrupted })),
  }, null, 2);
}

/** Saves text as a file through a temporary object URL, released once the download has started. */
export function download(text: string, fileName: string, type: string): void {
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

export function fileStem(when: Date): string {
  return `transcript-${when.toISOString().slice(0, 19).replaceAll(':', '-')}`;
}
