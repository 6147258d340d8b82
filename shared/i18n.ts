/** Text in the two UI languages. Vietnamese is the default and always present. */
export type Lang = 'vi' | 'en';
export interface LocalText {
  vi: string;
  en?: string;
}
export function tx(text: LocalText | undefined, lang: Lang = 'vi'): string {
  if (!text) return '';
  return (lang === 'en' ? text.en : undefined) ?? text.vi;
}
/** Replace {name} placeholders. Unknown placeholders stay as they are. */
export function fill(message: string, params: Record<string, string | number>): string {
  return message.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}
