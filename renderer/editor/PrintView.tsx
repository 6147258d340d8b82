import { Fragment } from 'react';
import type { ReturnState, Unit } from '../../shared/contract.js';
import { tx } from '../../shared/i18n.js';
import { formatDate } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';
import type { Issue } from '../../shared/template/rules.js';
import type { Row, Values } from '../../shared/template/model.js';
import { signerName } from '../../shared/template/model.js';
import type { Column, Section, Template } from '../../shared/template/schema.js';
import { isApplicable, notApplicable } from '../../shared/template/applies.js';
import { headerRows } from './SectionForm.js';
import { showValue } from './display.js';

const DRAFT_MARK = 'BẢN NHÁP — CHƯA NỘP';
const NOT_APPLICABLE = 'Không áp dụng';

/** The class of a printed value cell: numbers and money right-aligned, long text wrapped in full. */
function valueClass(type: Column['type']): string {
  if (type === 'integer' || type === 'decimal' || type === 'money' || type === 'rate') return 'num';
  return type === 'longtext' ? 'print-longtext' : '';
}

/** A value as printed: the form's showValue, and what a rate is of after it. */
function printValue(v: unknown, spec: Pick<Column, 'type' | 'options' | 'decimals' | 'year' | 'moneyUnit' | 'rateOf'>): string {
  const s = showValue(v, spec, 'vi');
  return s && spec.rateOf ? `${s} ${tx(spec.rateOf, 'vi')}` : s;
}

/**
 * The return as the official paper form (in Vietnamese, as it is signed and sent): one A4 page per
 * biểu with the national heading, the tables and the signature block. Wide tables print landscape.
 */
export function PrintView({
  template,
  view,
  unit,
  period,
  asOf,
  today,
  stamp,
  warnings,
  explanations,
  draft = false,
  request = null,
}: {
  template: Template;
  view: Values;
  unit: Unit;
  period: string;
  asOf: Record<string, string>;
  today: string;
  stamp: string;
  warnings: Issue[];
  explanations: Record<string, string>;
  /** Not a submitted revision: "BẢN NHÁP — CHƯA NỘP" on every page (issue 7). */
  draft?: boolean;
  /** The request this return answers (issue 9): "Kính gửi: …" and "Thực hiện văn bản số …: …" at the head of the form. */
  request?: ReturnState['request'];
}) {
  const lang = 'vi';
  const [y, m, d] = today.slice(0, 10).split('-');
  const explained = warnings.filter((w) => explanations[w.id]?.trim());
  // Sections and items that do not apply to the unit print as "Không áp dụng".
  const skipped = notApplicable(template, unit);
  // Signed where the unit is ("Thủy Nguyên, ngày …"), as in its Excel package.
  const place = unit.name.replace(new RegExp(`^${unit.type}\\s+`, 'iu'), '') || unit.name;
  const wide = (s: Section) => s.items.some((i) => (i.kind === 'table' || i.kind === 'repeat') && i.columns.length > 8);
  return (
    <div className="print-root" data-testid="print-view" data-draft={draft}>
      {draft && (
        // position: fixed in print repeats it on every printed page, continuation pages included.
        <div className="print-draft-watermark" aria-hidden="true">
          {DRAFT_MARK}
        </div>
      )}
      {template.sections.map((s, si) => {
        const sv = view[s.key] ?? {};
        let n = 0;
        return (
          <div key={s.key} className={`print-page ${wide(s) ? 'print-wide' : ''}`}>
            {draft && <div className="print-draft-mark">{DRAFT_MARK} — không dùng để ký, gửi hoặc nộp</div>}
            <table className="print-heading">
              <tbody>
                <tr>
                  <td>
                    <div className="ph-unit">UBND {unit.name.toUpperCase()}</div>
                    <div className="ph-rule" />
                  </td>
                  <td>
                    <div className="ph-nation">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>
                    <div className="ph-motto">Độc lập - Tự do - Hạnh phúc</div>
                    <div className="ph-rule" />
                  </td>
                </tr>
              </tbody>
            </table>
            <div className="print-code">
              {s.code} · {template.id} v{template.version}
            </div>
            <h2 className="print-title">{tx(template.title, lang).toUpperCase()}</h2>
            <h3 className="print-subtitle">
              {s.code}: {tx(s.title, lang)}
            </h3>
            {request && si === 0 && (
              <div className="print-request" data-testid="print-request" style={{ margin: '4pt 0 6pt', textAlign: 'center' }}>
                <div style={{ fontStyle: 'italic' }} data-testid="print-request-ref">
                  Thực hiện văn bản {request.refLine.charAt(0).toLocaleLowerCase('vi') + request.refLine.slice(1)}: {request.summary}
                </div>
                <div style={{ fontWeight: 700, marginTop: '3pt' }} data-testid="print-request-addressee">
                  {request.addressee}
                </div>
              </div>
            )}
            <p className="print-meta">
              Kỳ báo cáo: {periodLabel(period, lang)} · Số liệu tính đến ngày {formatDate(asOf[s.key])}
              <br />
              Đơn vị báo cáo: {unit.name} (mã {unit.code}) · Đơn vị nhận báo cáo: {tx(template.receivingBody, lang)}
              <br />
              <span className="print-stamp">{stamp}</span>
            </p>
            {!isApplicable(skipped, s.key) && (
              <p className="print-na" data-print-na={s.key}>
                {NOT_APPLICABLE} (biểu này không áp dụng cho {unit.name}).
              </p>
            )}
            {isApplicable(skipped, s.key) && s.items.map((it, idx) => {
              const na = !isApplicable(skipped, `${s.key}.${it.key}`);
              if (na && (it.kind === 'table' || it.kind === 'repeat'))
                return (
                  <Fragment key={it.key}>
                    <div className="print-block-title">{tx(it.label, lang)}</div>
                    <p className="print-na" data-print-na={`${s.key}.${it.key}`}>
                      {NOT_APPLICABLE}
                    </p>
                  </Fragment>
                );
              if (it.kind === 'field' || it.kind === 'computed') {
                // A run of consecutive fields becomes one table (STT · Chỉ tiêu · Giá trị), in template order.
                const prev = s.items[idx - 1];
                if (prev && (prev.kind === 'field' || prev.kind === 'computed')) return null;
                const run = [];
                for (let j = idx; j < s.items.length; j++) {
                  const x = s.items[j]!;
                  if (x.kind !== 'field' && x.kind !== 'computed') break;
                  run.push(x);
                }
                return (
                  <table key={it.key} className="print-table print-fields">
                    <thead>
                      <tr>
                        <th style={{ width: '3em' }}>STT</th>
                        <th>Chỉ tiêu</th>
                        <th style={{ width: '30%' }}>Giá trị</th>
                      </tr>
                    </thead>
                    <tbody>
                      {run.map((f) => {
                        const path = `${s.key}.${f.key}`;
                        if (!isApplicable(skipped, path))
                          return (
                            <tr key={f.key}>
                              <td className="c">{++n}</td>
                              <td>{tx(f.label, lang)}</td>
                              <td className="print-na" data-print-na={path}>
                                {NOT_APPLICABLE}
                              </td>
                            </tr>
                          );
                        if (f.type === 'longtext')
                          // A long text (results, difficulties, proposals) under its heading, the full width, never cut.
                          return (
                            <tr key={f.key}>
                              <td className="c">{++n}</td>
                              <td colSpan={2}>
                                <div className="print-longtext-label">{tx(f.label, lang)}</div>
                                <div className="print-longtext" data-print-value={path}>
                                  {showValue(sv[f.key], f, lang)}
                                </div>
                              </td>
                            </tr>
                          );
                        return (
                          <tr key={f.key}>
                            <td className="c">{++n}</td>
                            <td>{tx(f.label, lang)}</td>
                            <td className={f.rateOf ? '' : valueClass(f.type)} data-print-value={path}>
                              {printValue(sv[f.key], f)}
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                );
              }
              if (it.kind === 'table') {
                const tv = (sv[it.key] ?? {}) as Record<string, Row | undefined>;
                const rows = [...it.rows, ...(it.totalRow ? [it.totalRow] : [])];
                return (
                  <Fragment key={it.key}>
                    <div className="print-block-title">{tx(it.label, lang)}</div>
                    <table className="print-table">
                      <thead>{headerRows(it.columns, it.groups, lang, [tx(it.rowHeader, lang)])}</thead>
                      <tbody>
                        {rows.map((r) => (
                          <tr key={r.key} className={r.key === it.totalRow?.key ? 'total' : undefined}>
                            <td>{tx(r.label, lang)}</td>
                            {it.columns.map((c) => (
                              <td key={c.key} className={c.type === 'longtext' ? 'print-longtext' : 'num'}>
                                {showValue(tv[r.key]?.[c.key], c, lang)}
                              </td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </Fragment>
                );
              }
              if (it.kind === 'repeat') {
                const rows = (Array.isArray(sv[it.key]) ? sv[it.key] : []) as Row[];
                return (
                  <Fragment key={it.key}>
                    <div className="print-block-title">{tx(it.label, lang)}</div>
                    <table className="print-table">
                      <thead>{headerRows(it.columns, undefined, lang, ['STT'])}</thead>
                      <tbody>
                        {rows.map((r, i) => (
                          <tr key={i}>
                            <td className="c">{i + 1}</td>
                            {it.columns.map((c) => (
                              <td key={c.key} className={valueClass(c.type)}>
                                {showValue(r?.[c.key], c, lang)}
                              </td>
                            ))}
                          </tr>
                        ))}
                        {rows.length === 0 && (
                          <tr>
                            <td colSpan={it.columns.length + 1} className="c">
                              (không có)
                            </td>
                          </tr>
                        )}
                      </tbody>
                    </table>
                  </Fragment>
                );
              }
              return null;
            })}
            {si === template.sections.length - 1 && explained.length > 0 && (
              <>
                <div className="print-block-title">Giải trình các cảnh báo</div>
                <table className="print-table">
                  <tbody>
                    {explained.map((w) => (
                      <tr key={w.id}>
                        <td style={{ width: '45%' }}>{w.message}</td>
                        <td>{explanations[w.id]}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
            <table className="print-sign">
              <tbody>
                <tr>
                  <td>
                    <div>&nbsp;</div>
                    <div className="ps-role">NGƯỜI LẬP BIỂU</div>
                    <div className="ps-hint">(Ký, ghi rõ họ tên)</div>
                    <div className="ps-name">{signerName(template, view, 'preparer')}</div>
                  </td>
                  <td>
                    <div className="ps-date">
                      {place}, ngày {d} tháng {m} năm {y}
                    </div>
                    <div className="ps-role">THỦ TRƯỞNG ĐƠN VỊ</div>
                    <div className="ps-hint">(Ký, ghi rõ họ tên, đóng dấu)</div>
                    <div className="ps-name">{signerName(template, view, 'head')}</div>
                  </td>
                </tr>
              </tbody>
            </table>
          </div>
        );
      })}
    </div>
  );
}
