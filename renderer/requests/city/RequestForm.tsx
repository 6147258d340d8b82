import { useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Loader,
  Modal,
  MultiSelect,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { DateInput } from '@mantine/dates';
import { IconAlertTriangle, IconArrowLeft, IconSend } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, Output, RequestField, TemplateInfo, Unit } from '../../../shared/contract.js';
import type { Lang } from '../../../shared/i18n.js';
import { formatNumber, parseDate } from '../../../shared/format.js';
import { defaultPeriods, periodLabel, type PeriodType } from '../../../shared/periods.js';
import {
  DEFAULT_RECIPIENT,
  KNOWN_DEPARTMENTS,
  addresseeLine,
  deadlineText,
  lastDay,
  resolveAddressees,
  type Addressees,
  type DueWording,
  type RequestInput,
} from '../../../shared/requests.js';
import { UNIT_TYPES } from '../../../shared/consolidate.js';
import { parseTemplate } from '../../../shared/template/model.js';
import { matchesQuery } from '../../../shared/text.js';
import { RetryAlert } from '../../RetryAlert.js';
import { api, detailMessages, messageOf } from '../../api.js';
import { unitTypeTitle } from '../../labels.js';
import { lastDayText, resolveLines } from './units.js';

type AddrKind = Addressees['kind'];
type Field = 'template' | 'refNumber' | 'refDate' | 'refSummary' | 'title' | 'addressees' | 'period' | 'window' | 'due' | 'department' | 'recipient';
type Check = Output<'requests.check'>;

interface Form {
  template: string | null;
  version: string | null;
  refNumber: string;
  refDate: string | null;
  refSummary: string;
  title: string;
  addrKind: AddrKind;
  types: string[];
  codes: string[];
  paste: string;
  attribute: string | null;
  attrValues: string[];
  periodKind: 'period' | 'day';
  period: string | null;
  asOf: string | null;
  useWindow: boolean;
  windowStart: string | null;
  windowEnd: string | null;
  due: string | null;
  dueWording: DueWording;
  department: string;
  recipient: string;
  instruction: string;
}

const EMPTY: Form = {
  template: null,
  version: null,
  refNumber: '',
  refDate: null,
  refSummary: '',
  title: '',
  addrKind: 'all',
  types: [],
  codes: [],
  paste: '',
  attribute: null,
  attrValues: [],
  periodKind: 'period',
  period: null,
  asOf: null,
  useWindow: false,
  windowStart: null,
  windowEnd: null,
  due: null,
  dueWording: 'trong',
  department: '',
  recipient: DEFAULT_RECIPIENT,
  instruction: '',
};

/** The form field of each field requests.check names for a problem (the rest are shown above "Phát hành"). */
const FIELD_OF: Record<RequestField, Field> = {
  template: 'template',
  period: 'period',
  due: 'due',
  ref: 'refDate',
  window: 'window',
  addressees: 'addressees',
  department: 'department',
};

/** A date typed the Vietnamese way (dd/mm/yyyy), with a calendar. */
function DateField({
  label,
  value,
  onChange,
  error,
  testId,
  description,
  required,
  w = 190,
}: {
  label: string;
  value: string | null;
  onChange: (v: string | null) => void;
  error?: ReactNode;
  testId: string;
  description?: string;
  required?: boolean;
  w?: number;
}) {
  return (
    <DateInput
      label={label}
      value={value}
      onChange={(v) => onChange(v ? String(v).slice(0, 10) : null)}
      valueFormat="DD/MM/YYYY"
      dateParser={(s) => parseDate(s)}
      placeholder="dd/mm/yyyy"
      clearable
      w={w}
      error={error}
      description={description}
      withAsterisk={required}
      data-testid={testId}
      popoverProps={{ withinPortal: true }}
    />
  );
}

/** The city writes a request: the template, the letter it implements, whom, which period, by when, through whom. */
export function RequestForm({
  info,
  lang,
  onCancel,
  onCreated,
}: {
  info: AppInfo;
  lang: Lang;
  onCancel: () => void;
  onCreated: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [templates, setTemplates] = useState<TemplateInfo[] | null>(null);
  const [units, setUnits] = useState<Unit[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [f, setF] = useState<Form>(EMPTY);
  const [typesOf, setTypesOf] = useState<{ key: string; types: PeriodType[] } | null>(null);
  const [unmatched, setUnmatched] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const [checked, setChecked] = useState<{ key: string; result?: Check; error?: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<{ message: string; details: string[] } | null>(null);
  const set = (patch: Partial<Form>) => setF((x) => ({ ...x, ...patch }));

  useEffect(() => {
    let cancelled = false;
    Promise.all([api.call('templates.list', {}), api.call('units.list', {})])
      .then(([tl, ul]) => {
        if (cancelled) return;
        setTemplates(tl);
        setUnits(ul.units);
      })
      .catch((e) => !cancelled && setLoadError(messageOf(e)));
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  // The template's period types, for the period choice.
  const templateKey = f.template && f.version ? `${f.template}@${f.version}` : '';
  useEffect(() => {
    if (!templateKey) return;
    let cancelled = false;
    const [tid, v] = templateKey.split('@') as [string, string];
    api
      .call('templates.get', { id: tid, version: Number(v) })
      .then((data) => !cancelled && setTypesOf({ key: templateKey, types: parseTemplate(data).periodTypes }))
      .catch(() => !cancelled && setTypesOf({ key: templateKey, types: [] }));
    return () => {
      cancelled = true;
    };
  }, [templateKey]);
  const periodTypes = useMemo(() => (typesOf && typesOf.key === templateKey ? typesOf.types : []), [typesOf, templateKey]);

  const ids = useMemo(() => {
    const out: { value: string; label: string }[] = [];
    for (const x of templates ?? [])
      if (!out.some((o) => o.value === x.id)) out.push({ value: x.id, label: `${x.id} — ${x.title}` });
    return out;
  }, [templates]);
  const versions = useMemo(
    () =>
      (templates ?? [])
        .filter((x) => x.id === f.template)
        .sort((a, b) => b.version - a.version)
        .map((x) => ({ value: String(x.version), label: t('cityRequests.form.versionN', { v: x.version }) })),
    [templates, f.template, t],
  );
  const attributes = useMemo(() => [...new Set((units ?? []).flatMap((u) => Object.keys(u.attributes ?? {})))].sort(), [units]);
  const attrValues = useMemo(() => {
    if (!f.attribute || !units) return [];
    const count = new Map<string, number>();
    for (const u of units) {
      const v = u.attributes?.[f.attribute];
      if (v !== undefined) count.set(v, (count.get(v) ?? 0) + 1);
    }
    return [...count].sort().map(([v, n]) => ({ value: v, label: t('cityRequests.form.valueCount', { value: v || '—', n: formatNumber(n) }) }));
  }, [units, f.attribute, t]);
  const types = useMemo(() => {
    const present = [...new Set((units ?? []).map((u) => u.type))];
    return [...UNIT_TYPES.filter((x) => present.includes(x)), ...present.filter((x) => !(UNIT_TYPES as readonly string[]).includes(x))];
  }, [units]);
  const periodOptions = useMemo(
    () => defaultPeriods(periodTypes, info.today).map((p) => ({ value: p.code, label: periodLabel(p, lang) })),
    [periodTypes, info.today, lang],
  );

  const addressees: Addressees | null =
    f.addrKind === 'all'
      ? { kind: 'all' }
      : f.addrKind === 'types'
        ? f.types.length
          ? { kind: 'types', types: f.types }
          : null
        : f.addrKind === 'units'
          ? f.codes.length
            ? { kind: 'units', codes: f.codes }
            : null
          : f.attribute && f.attrValues.length
            ? { kind: 'attribute', attribute: f.attribute, values: f.attrValues }
            : null;
  const unitCount = addressees && units ? resolveAddressees(addressees, units).length : 0;
  const period = f.periodKind === 'period' ? f.period : f.asOf;

  // What is wrong, field by field: a wrong value at once, an empty required one once "Phát hành" was pressed.
  const errors: Partial<Record<Field, string>> = {};
  const need = (field: Field, ok: unknown, message: string) => {
    if (!ok && tried) errors[field] = message;
  };
  need('template', f.template && f.version, t('cityRequests.form.needTemplate'));
  need('refNumber', f.refNumber.trim(), t('cityRequests.form.needRefNumber'));
  need('refDate', f.refDate, t('cityRequests.form.needRefDate'));
  need('refSummary', f.refSummary.trim(), t('cityRequests.form.needRefSummary'));
  need('title', f.title.trim(), t('cityRequests.form.needTitle'));
  need('department', f.department.trim(), t('cityRequests.form.needDepartment'));
  need('recipient', f.recipient.trim(), t('cityRequests.form.needRecipient'));
  need('period', period, f.periodKind === 'period' ? t('cityRequests.form.needPeriod') : t('cityRequests.form.needAsOf'));
  need('due', f.due, t('cityRequests.form.needDue'));
  if (f.refDate && f.refDate > info.today) errors.refDate = t('cityRequests.form.refDateFuture');
  if (f.due && lastDay(f.due, f.dueWording) < info.today)
    errors.due = t('cityRequests.form.duePast', { today: lastDayText(info.today, 'trong') });
  if (!addressees) {
    if (tried || f.addrKind !== 'all')
      errors.addressees =
        f.addrKind === 'types'
          ? t('cityRequests.form.needTypes')
          : f.addrKind === 'units'
            ? t('cityRequests.form.needUnits')
            : t('cityRequests.form.needAttribute');
  } else if (units && unitCount === 0) errors.addressees = t('cityRequests.form.noUnits');
  if (f.periodKind === 'day' && f.useWindow) {
    if (!f.windowStart || !f.windowEnd) {
      if (tried) errors.window = t('cityRequests.form.needWindow');
    } else if (f.windowStart > f.windowEnd) errors.window = t('cityRequests.form.windowOrder');
  }

  const input: RequestInput | null =
    f.template && f.version && addressees && period && f.due && f.refDate && f.refNumber.trim() && f.refSummary.trim() && f.title.trim() && f.department.trim()
      ? {
          template: f.template,
          templateVersion: Number(f.version),
          ref: { number: f.refNumber.trim(), date: f.refDate, summary: f.refSummary.trim() },
          title: f.title.trim(),
          addressees,
          period,
          ...(f.periodKind === 'day' && f.useWindow && f.windowStart && f.windowEnd ? { window: { start: f.windowStart, end: f.windowEnd } } : {}),
          due: f.due,
          dueWording: f.dueWording,
          department: f.department.trim(),
          recipient: f.recipient.trim() || DEFAULT_RECIPIENT,
          ...(f.instruction.trim() ? { instruction: f.instruction.trim() } : {}),
        }
      : null;
  const localOk = Object.keys(errors).length === 0;
  const inputKey = input && localOk ? JSON.stringify(input) : '';

  // requests.check as the form changes (debounced): the number of units and what the core refuses.
  useEffect(() => {
    if (!inputKey) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      api
        .call('requests.check', JSON.parse(inputKey) as RequestInput)
        .then((result) => !cancelled && setChecked({ key: inputKey, result }))
        .catch((e) => !cancelled && setChecked({ key: inputKey, error: messageOf(e) }));
    }, 400);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [inputKey]);
  const current = inputKey && checked?.key === inputKey ? checked : null;
  const check = current?.result ?? null;
  const checkError = current?.error ?? null;
  const checking = !!inputKey && !current;

  const problems: Partial<Record<Field, string[]>> = {};
  const general: string[] = [];
  (check?.problems ?? []).forEach((p, i) => {
    const named = check?.fields?.[i];
    const at = named ? FIELD_OF[named] : null;
    if (at) (problems[at] ??= []).push(p);
    else general.push(p);
  });
  const errorOf = (field: Field): ReactNode => {
    const list = [errors[field], ...(problems[field] ?? [])].filter(Boolean) as string[];
    if (!list.length) return undefined;
    return (
      <span data-testid={`error-${field}`}>
        {list.map((m, i) => (
          <span key={i} style={{ display: 'block' }}>
            {m}
          </span>
        ))}
      </span>
    );
  };

  /** The messages of a narrow field, shown under its row at full width (the field itself turns red). */
  const below = (...fields: Field[]): ReactNode => {
    const shown = fields.filter((x) => errorOf(x));
    if (!shown.length) return null;
    return (
      <Text component="div" size="sm" c="red.7" mt={6} maw={760} role="alert">
        {shown.map((x) => (
          <div key={x}>{errorOf(x)}</div>
        ))}
      </Text>
    );
  };

  const n = check?.units ?? unitCount;
  const publish = () => {
    setTried(true);
    setCreateError(null);
    if (!input || !localOk) return;
    setConfirming(true);
  };
  const create = async () => {
    if (!input) return;
    setBusy(true);
    setCreateError(null);
    try {
      const r = await api.call('requests.create', input);
      setConfirming(false);
      onCreated(r.id);
    } catch (e) {
      setCreateError({ message: messageOf(e), details: detailMessages(e) });
    } finally {
      setBusy(false);
    }
  };

  const addPasted = () => {
    if (!units) return;
    const r = resolveLines(f.paste, units);
    set({ codes: [...f.codes, ...r.codes.filter((c) => !f.codes.includes(c))], paste: r.unmatched.join('\n') });
    setUnmatched(r.unmatched);
  };

  if (loadError)
    return (
      <RetryAlert
        message={loadError}
        onRetry={() => {
          setLoadError(null);
          setAttempt((x) => x + 1);
        }}
      />
    );
  if (!templates || !units) return <Loader size="sm" />;

  const deadlineSentence =
    f.due && !errors.due
      ? t('cityRequests.form.deadlineSentence', { text: deadlineText(f.due, f.dueWording, lang), last: lastDayText(f.due, f.dueWording) })
      : null;

  return (
    <Stack gap="md" data-testid="request-form" maw={1100}>
      <Group justify="space-between" align="flex-end">
        <div>
          <Button variant="subtle" size="compact-sm" leftSection={<IconArrowLeft size={16} />} onClick={onCancel} mb={4}>
            {t('cityRequests.backToList')}
          </Button>
          <Title order={2} size="h3">
            {t('cityRequests.form.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('cityRequests.form.intro')}
          </Text>
        </div>
      </Group>

      <Card withBorder padding="md">
        <Title order={3} size="h5" mb="sm">
          {t('cityRequests.form.sectionTemplate')}
        </Title>
        <Group align="flex-start" gap="md" wrap="wrap">
          <Select
            label={t('cityRequests.form.template')}
            data={ids}
            value={f.template}
            onChange={(v) => {
              const latest = (templates ?? []).filter((x) => x.id === v).sort((a, b) => b.version - a.version)[0];
              set({ template: v, version: latest ? String(latest.version) : null, period: null });
            }}
            searchable
            w={420}
            error={errorOf('template')}
            data-testid="form-template"
            withAsterisk
          />
          <Select
            label={t('cityRequests.form.version')}
            data={versions}
            value={f.version}
            onChange={(v) => set({ version: v })}
            allowDeselect={false}
            disabled={!f.template}
            w={140}
            data-testid="form-version"
          />
        </Group>
        <Group align="flex-start" gap="md" mt="sm" wrap="wrap">
          <TextInput
            label={t('cityRequests.form.refNumber')}
            placeholder="1234/UBND-NVKTGS"
            value={f.refNumber}
            onChange={(e) => set({ refNumber: e.currentTarget.value })}
            w={260}
            error={errorOf('refNumber')}
            data-testid="form-ref-number"
            withAsterisk
          />
          <DateField
            label={t('cityRequests.form.refDate')}
            value={f.refDate}
            onChange={(v) => set({ refDate: v })}
            error={!!errorOf('refDate')}
            testId="form-ref-date"
            required
          />
        </Group>
        {below('refDate')}
        <Textarea
          mt="sm"
          label={t('cityRequests.form.refSummary')}
          placeholder={t('cityRequests.form.refSummaryPlaceholder')}
          value={f.refSummary}
          onChange={(e) => set({ refSummary: e.currentTarget.value })}
          autosize
          minRows={2}
          error={errorOf('refSummary')}
          data-testid="form-ref-summary"
          withAsterisk
        />
        <TextInput
          mt="sm"
          label={t('cityRequests.form.requestTitle')}
          description={t('cityRequests.form.requestTitleHint')}
          value={f.title}
          onChange={(e) => set({ title: e.currentTarget.value })}
          error={errorOf('title')}
          data-testid="form-title"
          withAsterisk
        />
      </Card>

      <Card withBorder padding="md" data-testid="form-addressees">
        <Group justify="space-between" mb="sm">
          <Title order={3} size="h5">
            {t('cityRequests.form.sectionAddressees')}
          </Title>
          <Badge size="lg" variant="light" color={n ? 'blue' : 'red'} data-testid="form-unit-count">
            {t('cityRequests.form.unitCount', { n: formatNumber(n) })}
          </Badge>
        </Group>
        <SegmentedControl
          value={f.addrKind}
          onChange={(v) => set({ addrKind: v as AddrKind })}
          data={[
            { value: 'all', label: t('cityRequests.form.addrAll') },
            { value: 'types', label: t('cityRequests.form.addrTypes') },
            { value: 'units', label: t('cityRequests.form.addrUnits') },
            { value: 'attribute', label: t('cityRequests.form.addrAttribute') },
          ]}
          aria-label={t('cityRequests.form.sectionAddressees')}
          data-testid="form-addr-kind"
        />
        <div style={{ marginTop: 12 }}>
          {f.addrKind === 'all' && <Text size="sm">{t('cityRequests.form.addrAllHint', { n: formatNumber(units.length) })}</Text>}
          {f.addrKind === 'types' && (
            <Checkbox.Group value={f.types} onChange={(v) => set({ types: v })} label={t('cityRequests.form.typesLabel')}>
              <Group mt={6}>
                {types.map((ty) => (
                  <Checkbox
                    key={ty}
                    value={ty}
                    label={`${unitTypeTitle(ty, lang)} (${formatNumber(units.filter((u) => u.type === ty).length)})`}
                    data-testid={`form-type-${ty}`}
                  />
                ))}
              </Group>
            </Checkbox.Group>
          )}
          {f.addrKind === 'units' && (
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
              <MultiSelect
                label={t('cityRequests.form.pickUnits')}
                placeholder={t('cityRequests.form.pickUnitsPlaceholder')}
                data={units.map((u) => ({ value: u.code, label: `${u.name} (${u.code})` }))}
                value={f.codes}
                onChange={(v) => set({ codes: v })}
                searchable
                clearable
                limit={50}
                maxDropdownHeight={260}
                filter={({ options, search }) =>
                  options.filter((o) => 'label' in o && matchesQuery(o.label, search))
                }
                data-testid="form-units"
              />
              <Stack gap={6}>
                <Textarea
                  label={t('cityRequests.form.pasteUnits')}
                  description={t('cityRequests.form.pasteUnitsHint')}
                  value={f.paste}
                  onChange={(e) => set({ paste: e.currentTarget.value })}
                  autosize
                  minRows={3}
                  maxRows={8}
                  data-testid="form-paste"
                />
                <Group>
                  <Button size="xs" variant="light" onClick={addPasted} disabled={!f.paste.trim()} data-testid="form-paste-add">
                    {t('cityRequests.form.pasteAdd')}
                  </Button>
                </Group>
                {unmatched.length > 0 && (
                  <Alert color="orange" icon={<IconAlertTriangle />} data-testid="form-unmatched">
                    {t('cityRequests.form.unmatched', { n: unmatched.length, list: unmatched.join('; ') })}
                  </Alert>
                )}
              </Stack>
            </SimpleGrid>
          )}
          {f.addrKind === 'attribute' && (
            <Group align="flex-start" gap="md">
              <Select
                label={t('cityRequests.form.attribute')}
                data={attributes}
                value={f.attribute}
                onChange={(v) => set({ attribute: v, attrValues: [] })}
                w={240}
                nothingFoundMessage={t('cityRequests.form.noAttributes')}
                data-testid="form-attribute"
              />
              <MultiSelect
                label={t('cityRequests.form.attributeValues')}
                data={attrValues}
                value={f.attrValues}
                onChange={(v) => set({ attrValues: v })}
                disabled={!f.attribute}
                w={360}
                data-testid="form-attribute-values"
              />
            </Group>
          )}
          {errorOf('addressees') && (
            <Text size="sm" c="red.7" mt={6}>
              {errorOf('addressees')}
            </Text>
          )}
        </div>
      </Card>

      <Card withBorder padding="md">
        <Title order={3} size="h5" mb="sm">
          {t('cityRequests.form.sectionPeriod')}
        </Title>
        <SegmentedControl
          value={f.periodKind}
          onChange={(v) => set({ periodKind: v as Form['periodKind'] })}
          data={[
            { value: 'period', label: t('cityRequests.form.periodKind') },
            { value: 'day', label: t('cityRequests.form.dayKind') },
          ]}
          aria-label={t('cityRequests.form.sectionPeriod')}
          data-testid="form-period-kind"
        />
        <Group align="flex-start" gap="md" mt="sm" wrap="wrap">
          {f.periodKind === 'period' ? (
            <Select
              label={t('cityRequests.form.period')}
              data={periodOptions}
              value={f.period}
              onChange={(v) => set({ period: v })}
              disabled={!f.template}
              placeholder={f.template ? undefined : t('cityRequests.form.pickTemplateFirst')}
              w={280}
              maxDropdownHeight={300}
              error={!!errorOf('period')}
              data-testid="form-period"
              withAsterisk
            />
          ) : (
            <>
              <DateField label={t('cityRequests.form.asOf')} value={f.asOf} onChange={(v) => set({ asOf: v })} error={!!errorOf('period')} testId="form-as-of" required />
              <Stack gap={6} pt={26}>
                <Checkbox
                  label={t('cityRequests.form.useWindow')}
                  checked={f.useWindow}
                  onChange={(e) => set({ useWindow: e.currentTarget.checked })}
                  data-testid="form-use-window"
                />
              </Stack>
              {f.useWindow && (
                <>
                  <DateField label={t('cityRequests.form.windowStart')} value={f.windowStart} onChange={(v) => set({ windowStart: v })} testId="form-window-start" />
                  <DateField
                    label={t('cityRequests.form.windowEnd')}
                    value={f.windowEnd}
                    onChange={(v) => set({ windowEnd: v })}
                    error={!!errorOf('window')}
                    testId="form-window-end"
                  />
                </>
              )}
            </>
          )}
        </Group>
        {below('period', 'window')}
        <Group align="flex-start" gap="md" mt="md" wrap="wrap">
          <DateField
            label={t('cityRequests.form.due')}
            value={f.due}
            onChange={(v) => set({ due: v })}
            error={!!errorOf('due')}
            testId="form-due"
            required
            w={220}
          />
          <div>
            <Text size="sm" fw={500} mb={4} id="form-due-wording-label">
              {t('cityRequests.form.dueWording')}
            </Text>
            <SegmentedControl
              value={f.dueWording}
              onChange={(v) => set({ dueWording: v as DueWording })}
              data={[
                { value: 'trong', label: t('cityRequests.form.wordingTrong') },
                { value: 'truoc', label: t('cityRequests.form.wordingTruoc') },
              ]}
              aria-labelledby="form-due-wording-label"
              data-testid="form-due-wording"
            />
          </div>
        </Group>
        {below('due')}
        {deadlineSentence && (
          <Text mt="xs" fw={500} c="blue.8" data-testid="form-deadline-sentence">
            {deadlineSentence}
          </Text>
        )}
      </Card>

      <Card withBorder padding="md">
        <Title order={3} size="h5" mb="sm">
          {t('cityRequests.form.sectionDepartment')}
        </Title>
        <Group align="flex-start" gap="md" wrap="wrap">
          <Autocomplete
            label={t('cityRequests.form.department')}
            description={t('cityRequests.form.departmentHint')}
            data={[...KNOWN_DEPARTMENTS]}
            value={f.department}
            onChange={(v) => set({ department: v })}
            w={360}
            error={errorOf('department')}
            data-testid="form-department"
            withAsterisk
          />
          <TextInput
            label={t('cityRequests.form.recipient')}
            description={t('cityRequests.form.recipientHint')}
            value={f.recipient}
            onChange={(e) => set({ recipient: e.currentTarget.value })}
            w={300}
            error={errorOf('recipient')}
            data-testid="form-recipient"
          />
        </Group>
        {f.department.trim() && (
          <Text size="sm" mt="xs" c="dimmed" data-testid="form-addressee-line">
            {addresseeLine({ recipient: f.recipient, department: f.department.trim() }, lang)}
          </Text>
        )}
        <Textarea
          mt="sm"
          label={t('cityRequests.form.instruction')}
          description={t('cityRequests.form.instructionHint')}
          value={f.instruction}
          onChange={(e) => set({ instruction: e.currentTarget.value })}
          autosize
          minRows={2}
          maxRows={8}
          data-testid="form-instruction"
        />
      </Card>

      {(general.length > 0 || checkError) && (
        <Alert color="red" icon={<IconAlertTriangle />} data-testid="form-problems" title={t('cityRequests.form.problemsTitle')}>
          {[...general, ...(checkError ? [checkError] : [])].map((p, i) => (
            <Text key={i} size="sm">
              {p}
            </Text>
          ))}
        </Alert>
      )}
      {createError && !confirming && (
        <Alert color="red" icon={<IconAlertTriangle />} role="alert" data-testid="form-create-error">
          <Text size="sm">{createError.message}</Text>
          {createError.details.map((d, i) => (
            <Text key={i} size="sm">
              {d}
            </Text>
          ))}
        </Alert>
      )}
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" data-testid="form-summary">
          {checking ? t('cityRequests.form.checking') : tried && !localOk ? t('cityRequests.form.fixFirst') : ''}
        </Text>
        <Group>
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button leftSection={<IconSend size={18} />} onClick={publish} data-testid="form-publish" disabled={(check?.problems.length ?? 0) > 0}>
            {t('cityRequests.form.publish')}
          </Button>
        </Group>
      </Group>

      <Modal opened={confirming} onClose={() => !busy && setConfirming(false)} title={t('cityRequests.form.confirmTitle')} size="lg">
        <Stack>
          <Text data-testid="form-confirm-text">{t('cityRequests.form.confirmText', { n: formatNumber(n) })}</Text>
          {input && (
            <Text size="sm" c="dimmed">
              {input.title} · {periodLabel(input.period, lang)} · {deadlineText(input.due, input.dueWording, lang)}
              {check ? ` · ${check.addresseesLabel}` : ''}
            </Text>
          )}
          {createError && (
            <Alert color="red" icon={<IconAlertTriangle />} role="alert" data-testid="form-create-error">
              <Text size="sm">{createError.message}</Text>
              {createError.details.map((d, i) => (
                <Text key={i} size="sm">
                  {d}
                </Text>
              ))}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button onClick={() => void create()} loading={busy} data-testid="form-confirm">
              {t('cityRequests.form.confirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
