import type { Lang } from '../shared/i18n.js';

/** Unit types of the unit list, as a person reads them in each language (the list keeps the Vietnamese words). */
const UNIT_TYPES: Record<string, { vi: string; en: string }> = {
  xã: { vi: 'xã', en: 'commune' },
  phường: { vi: 'phường', en: 'ward' },
  'đặc khu': { vi: 'đặc khu', en: 'special zone' },
};

export function unitTypeLabel(type: string, lang: Lang): string {
  const known = UNIT_TYPES[type];
  if (!known) return type;
  return lang === 'en' ? known.en : known.vi;
}

/** "Xã", "Phường", "Đặc khu" at the start of a cell or a heading. */
export function unitTypeTitle(type: string, lang: Lang): string {
  const s = unitTypeLabel(type, lang);
  return s.charAt(0).toLocaleUpperCase(lang) + s.slice(1);
}
