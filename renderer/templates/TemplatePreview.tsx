import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Group, Loader, Select, Stack, Tabs, Text } from '@mantine/core';
import { IconAlertCircle, IconFileSpreadsheet, IconTable } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Unit } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { defaultPeriods, parsePeriod, periodLabel, periodWindow, type Period } from '../../shared/periods.js';
import { computeView } from '../../shared/template/compute.js';
import { getPath, setPath, type Row, type Values } from '../../shared/template/model.js';
import { validate, type Issue } from '../../shared/template/rules.js';
import { notApplicable } from '../../shared/template/applies.js';
import type { Template } from '../../shared/template/schema.js';
import { matchesQuery } from '../../shared/text.js';
import { api, messageOf } from '../api.js';
import { exportFile } from '../exportFile.js';
import { IssueSummary } from '../editor/IssueSummary.js';
import { SectionForm, type IssueIndex } from '../editor/SectionForm.js';
import { indexIssues } from '../editor/issueIndex.js';
import { SectionTab } from '../editor/SectionTab.js';
import { handleGridKey } from '../editor/nav.js';
import { unitTypeLabel } from '../labels.js';

const EMPTY: Issue[] = [];
/** The seed of the sample values, so that the same workbook previews the same way. */
const SEED = 1;

/** The period a preview shows: the current one of the template's first period type. */
export function previewPeriod(t: Template, today: string): string {
  const list = defaultPeriods(t.periodTypes, today);
  const p = list.find((x) => periodWindow(x).start <= today) ?? list[0];
  return p ? p.code : `${today.slice(0, 4)}-Q1`;
}

/**
 * The form of a template not yet published, exactly as a commune sees it (the editor's SectionForm),
 * in a local state that is never saved: sample values from templates.sample, editable, with the
 * inline validation messages; a unit chooser (appliesTo differs by unit) and the two preview files.
 */
export function TemplatePreview({
  template,
  lang,
  today,
  units,
}: {
  template: Template;
  lang: Lang;
  today: string;
  units: Unit[];
}) {
  const { t } = useTranslation();
  const [unitCode, setUnitCode] = useState<string | null>(null);
  const period = useMemo(() => previewPeriod(template, today), [template, today]);
  const p = useMemo<Period>(() => parsePeriod(period)!, [period]);
  const win = useMemo(() => periodWindow(p), [p]);
  const unit = useMemo(() => units.find((u) => u.code === unitCode) ?? null, [units, unitCode]);

  const [values, setValues] = useState<Values | null>(null);
  const [explanations, setExplanations] = useState<Record<string, string>>({});
  const [asOf, setAsOf] = useState<Record<string, string>>({});
  const [failed, setFailed] = useState<{ key: string; message: string } | null>(null);
  /** The unit the values on screen were sampled for ('' for none): until the new sample arrives, a loader. */
  const [sampled, setSampled] = useState<string | null>(null);
  const sampleKey = unitCode ?? '';
  const [tab, setTab] = useState<string>(template.sections[0]!.key);
  const [summaryOpen, setSummaryOpen] = useState(false);
  const [busy, setBusy] = useState<'package' | 'consolidation' | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .call('templates.sample', { template, period, seed: SEED, ...(unitCode ? { unit: unitCode } : {}) })
      .then((r) => {
        if (cancelled) return;
        setValues(r.values as Values);
        setExplanations(r.explanations ?? {});
        setAsOf(r.asOf ?? {});
        setSampled(unitCode ?? '');
        setFailed(null);
      })
      .catch((e) => {
        if (!cancelled) setFailed({ key: unitCode ?? '', message: messageOf(e) });
      });
    return () => {
      cancelled = true;
    };
  }, [template, period, unitCode]);

  const onCell = useCallback((path: string, value: unknown) => setValues((v) => (v ? setPath(v, path, value) : v)), []);
  const onRows = useCallback((path: string, rows: Row[]) => setValues((v) => (v ? setPath(v, path, rows) : v)), []);
  const onRemoveRow = useCallback(
    (path: string, index: number) =>
      setValues((v) => {
        if (!v) return v;
        const rows = (getPath(v, path) as Row[] | undefined) ?? [];
        return setPath(
          v,
          path,
          rows.filter((_, i) => i !== index),
        );
      }),
    [],
  );
  const onExplain = useCallback((id: string, text: string) => {
    setExplanations((e) => {
      const next = { ...e };
      if (text) next[id] = text;
      else delete next[id];
      return next;
    });
  }, []);
  const onAsOf = useCallback((section: string, iso: string | null) => {
    if (iso) setAsOf((a) => ({ ...a, [section]: iso.slice(0, 10) }));
  }, []);
  const noop = useCallback(() => undefined, []);

  const skipped = useMemo(() => notApplicable(template, unit), [template, unit]);
  const error = failed && failed.key === sampleKey ? failed.message : null;
  const ready = sampled === sampleKey ? values : null;
  const view = useMemo(() => (values ? computeView(template, values, p.year) : {}), [template, values, p]);
  const result = useMemo(
    () =>
      values
        ? validate(template, values, { period: p, unitType: unit?.type, unit: unit ?? undefined, asOf, lang, view, explanations })
        : { errors: EMPTY, warnings: EMPTY },
    [template, values, p, unit, asOf, lang, view, explanations],
  );
  const index: IssueIndex = useMemo(
    () => indexIssues(template, [...result.errors, ...result.warnings]),
    [result, template],
  );

  const download = async (what: 'package' | 'consolidation') => {
    setBusy(what);
    await exportFile(t, () =>
      what === 'package'
        ? api.call('templates.previewPackage', {
            template,
            values: values ?? {},
            period,
            ...(unitCode ? { unit: unitCode } : {}),
          })
        : api.call('templates.previewConsolidation', { template, period, seed: SEED }),
    );
    setBusy(null);
  };

  const unitOptions = useMemo(
    () => units.map((u) => ({ value: u.code, label: `${u.name} (${unitTypeLabel(u.type, lang)}, ${u.code})` })),
    [units, lang],
  );

  return (
    <Stack gap="sm" data-testid="template-preview">
      <Text size="sm">{t('templates.previewIntro', { period: periodLabel(period, lang) })}</Text>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <Select
          label={t('templates.previewUnit')}
          placeholder={t('templates.previewAnyUnit')}
          data={unitOptions}
          value={unitCode}
          onChange={setUnitCode}
          searchable
          filter={({ options, search }) => options.filter((o) => 'label' in o && matchesQuery(o.label, search))}
          clearable
          w={420}
          maxDropdownHeight={320}
          nothingFoundMessage={t('templates.noUnitFound')}
          data-testid="preview-unit"
        />
        <Button
          variant="default"
          leftSection={<IconFileSpreadsheet size={18} />}
          loading={busy === 'package'}
          disabled={!ready || busy !== null}
          onClick={() => void download('package')}
          data-testid="preview-package"
        >
          {t('templates.previewPackage')}
        </Button>
        <Button
          variant="default"
          leftSection={<IconTable size={18} />}
          loading={busy === 'consolidation'}
          disabled={busy !== null}
          onClick={() => void download('consolidation')}
          data-testid="preview-consolidation"
        >
          {t('templates.previewConsolidation')}
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        {unit ? t('templates.previewAsUnit', { name: unit.name }) : t('templates.previewAllApply')}
      </Text>
      {error && (
        <Alert color="red" icon={<IconAlertCircle />} role="alert">
          {error}
        </Alert>
      )}
      {!ready && !error && (
        <Group gap="xs">
          <Loader size="xs" />
          <Text size="sm">{t('templates.sampling')}</Text>
        </Group>
      )}
      {ready && (
        <Card withBorder padding={0} className="review-form">
          <Tabs value={tab} onChange={(v) => v && setTab(v)} keepMounted={false} className="editor-tabs">
            <IssueSummary
              sections={template.sections}
              errors={result.errors}
              warnings={result.warnings}
              unexplainedIds={new Set()}
              open={summaryOpen}
              onToggle={() => setSummaryOpen((o) => !o)}
              onJump={(i) => setTab(i.section)}
              blockedReason={null}
            />
            <Tabs.List>
              {template.sections.map((s) => (
                <SectionTab key={s.key} section={s} lang={lang} errors={result.errors} warnings={result.warnings} />
              ))}
            </Tabs.List>
            {template.sections.map((s) => (
              <Tabs.Panel key={s.key} value={s.key}>
                <div className="form-root" onKeyDown={(e) => handleGridKey(e, noop)}>
                  <SectionForm
                    section={s}
                    lang={lang}
                    values={ready[s.key] ?? {}}
                    view={view}
                    periodYear={p.year}
                    issues={index}
                    explanations={explanations}
                    asOf={asOf[s.key] ?? win.end}
                    window={win}
                    onCell={onCell}
                    onBlur={noop}
                    onExplain={onExplain}
                    onAsOf={onAsOf}
                    onRows={onRows}
                    onRemoveRow={onRemoveRow}
                    skipped={skipped}
                    unitName={unit?.name}
                  />
                </div>
              </Tabs.Panel>
            ))}
          </Tabs>
        </Card>
      )}
    </Stack>
  );
}
