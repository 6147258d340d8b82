import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import 'dayjs/locale/vi';
import viBase from './vi.json';
import enBase from './en.json';
// Issue 9's screens keep their messages in their own files (merged here by top-level key).
import viTodo from './vi-todo.json';
import enTodo from './en-todo.json';
import viRequests from './vi-requests.json';
import enRequests from './en-requests.json';
import viUsers from './vi-users.json';
import enUsers from './en-users.json';
import viSigned from './vi-signed.json';
import enSigned from './en-signed.json';
import type { Lang } from '../../shared/i18n.js';

const vi = { ...viBase, ...viTodo, ...viRequests, ...viUsers, ...viSigned };
const en = { ...enBase, ...enTodo, ...enRequests, ...enUsers, ...enSigned };

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
