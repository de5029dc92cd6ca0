/** The page's language and everything else the server renders for the scripts (#page-data). */

export interface Price {
  /** USD per one million tokens. */
  readonly audioInput: number;
  readonly audioOutput: number;
  readonly textInput: number;
  readonly textOutput: number;
  readonly cachedInput: number;
}

export interface PresetInfo {
  /** "" is the server's base configuration. */
  readonly name: string;
  /** The session's turn_detection; null means the server configured push-to-talk. */
  readonly turnDetection: Readonly<Record<string, unknown>> | null;
}

export interface PageData {
  readonly language: string;
  readonly strings: Readonly<Record<string, string>>;
  readonly presets: readonly PresetInfo[];
  readonly price: Price | null;
}

function read(): PageData {
  const text = document.getElementById('page-data')?.textContent;
  if (text === undefined || text === null) throw new Error('The page is missing #page-data.');
  return JSON.parse(text) as PageData;
}

export const pageData: PageData = read();

/** The string for `key` in the page's language, with each {name} replaced. */
export function t(key: string, values: Readonly<Record<string, string | number>> = {}): string {
  // The key itself is a visible but harmless fallback if the server's table lacks it.
  let text = pageData.strings[key] ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/**
 * A refusal from this server (problem+json) in the page's language: its `code` picks the text
 * (`problem.<code>`), its extensions fill the text's {names}. A text naming a value the answer lacks
 * gives way to `problem.<code>.general`, the same rule the server follows. Null for a code this page
 * has no text for, so the caller can fall back to the server's own detail.
 */
export function problemText(problem: Readonly<Record<string, unknown>>): string | null {
  const code = problem['code'];
  if (typeof code !== 'string') return null;
  const key = `problem.${code}`;
  return fill(pageData.strings[key], problem) ?? fill(pageData.strings[`${key}.general`], problem);
}

function fill(template: string | undefined, values: Readonly<Record<string, unknown>>): string | null {
  if (template === undefined) return null;
  let complete = true;
  const text = template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    complete = false;
    return placeholder;
  });
  return complete ? text : null;
}

export function formatNumber(value: number, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(pageData.language, options).format(value);
}
