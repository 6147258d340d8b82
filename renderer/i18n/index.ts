import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import 'dayjs/locale/vi';
import vi from './vi.json';
import en from './en.json';
import type { Lang } from '../../shared/i18n.js';

/** One message catalogue per language; Vietnamese is the default and the fallback. */
void i18n.use(initReactI18next).init({
  resources: { vi: { translation: vi }, en: { translation: en } },
  lng: 'vi',
  fallbackLng: 'vi',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export function setUiLanguage(lang: Lang): void {
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export default i18n;
