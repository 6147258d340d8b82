import type { AppInfo } from '../../../shared/contract.js';
import type { Lang } from '../../../shared/i18n.js';
import { RequestDetail } from './RequestDetail.js';
import { RequestForm } from './RequestForm.js';
import { RequestList } from './RequestList.js';

/**
 * "Yêu cầu báo cáo" at the city (issue 9): the list (/city/requests), the form to create one
 * (/city/requests/new), one request (/city/requests/<id>) and a unit's return opened from it
 * (/city/requests/<id>/review/<unit>).
 */
export function RequestsScreen({
  info,
  lang,
  id,
  unit,
  go,
}: {
  info: AppInfo;
  lang: Lang;
  id: string | null;
  unit: string | null;
  go: (hash: string) => void;
}) {
  if (id === 'new') return <RequestForm info={info} lang={lang} onCancel={() => go('/city/requests')} onCreated={(r) => go(`/city/requests/${r}`)} />;
  if (id) return <RequestDetail key={id} id={id} unit={unit} lang={lang} go={go} />;
  return <RequestList onOpen={(r) => go(`/city/requests/${r}`)} onCreate={() => go('/city/requests/new')} />;
}
