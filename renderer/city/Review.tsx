import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertCircle,
  IconArrowBackUp,
  IconArrowLeft,
  IconCircleCheck,
  IconPencilExclamation,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Change, Output } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime } from '../../shared/format.js';
import { parsePeriod, periodLabel, periodWindow } from '../../shared/periods.js';
import { computeView } from '../../shared/template/compute.js';
import { parseTemplate } from '../../shared/template/model.js';
import type { Issue } from '../../shared/template/rules.js';
import { unexplained, validate } from '../../shared/template/rules.js';
import { notApplicable } from '../../shared/template/applies.js';
import type { Template } from '../../shared/template/schema.js';
import { api, messageOf } from '../api.js';
import { ChangesTable } from '../editor/dialogs.js';
import { Conflicts } from './Conflicts.js';
import { IssueSummary } from '../editor/IssueSummary.js';
import { READ_ONLY_HANDLERS, SectionForm, type IssueIndex } from '../editor/SectionForm.js';
import { indexIssues } from '../editor/issueIndex.js';
import { SectionTab } from '../editor/SectionTab.js';
import { unitTypeLabel } from '../labels.js';

type ReviewData = Output<'city.review.get'>;
const EMPTY: Issue[] = [];
const REVIEW_COLOR = { received: 'blue', accepted: 'green', returned: 'red' } as const;

/**
 * The issue messages in the UI language: the core validates in Vietnamese (with the unit's previous
 * return); in English the same rules run here and their messages replace the Vietnamese ones by id.
 */
function localized(list: Issue[], local: Issue[], lang: Lang): Issue[] {
  if (lang === 'vi') return list;
  const byId = new Map(local.map((i) => [i.id, i.message]));
  return list.map((i) => ({ ...i, message: byId.get(i.id) ?? i.message }));
}

/** A unit's return, read-only, with its checks; accept it or return it for correction; its revisions and their changes. */
export function Review({
  template: latest,
  period,
  unit,
  lang,
  onBack,
}: {
  template: Template;
  period: string;
  unit: string;
  lang: Lang;
  onBack: () => void;
}) {
  const { t } = useTranslation();
  const [data, setData] = useState<ReviewData | null>(null);
  const [tpl, setTpl] = useState<Template | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<string>(latest.sections[0]!.key);
  const [summaryOpen, setSummaryOpen] = useState(true);
  const [returning, setReturning] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [changes, setChanges] = useState<Change[] | null>(null);
  const [diffError, setDiffError] = useState<string | null>(null);

  const load = useCallback(
    () =>
      api
        .call('city.review.get', { template: latest.id, period, unit })
        .then(async (d) => {
          const tp =
            d.templateVersion === latest.version
              ? latest
              : parseTemplate(await api.call('templates.get', { id: latest.id, version: d.templateVersion }));
          setTpl(tp);
          setData(d);
          const revs = d.revisions.map((r) => r.revision).sort((a, b) => a - b);
          setTo(String(revs[revs.length - 1] ?? ''));
          setFrom(String(revs.length > 1 ? revs[revs.length - 2] : (revs[0] ?? '')));
        })
        .catch((e) => setError(messageOf(e))),
    [latest, period, unit],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const p = useMemo(() => parsePeriod(period), [period]);
  const win = useMemo(() => (p ? periodWindow(p) : { start: '', end: '' }), [p]);
  const view = useMemo(() => (data && tpl && p ? computeView(tpl, data.values, p.year) : {}), [data, tpl, p]);
  const issues = useMemo(() => {
    if (!data || !tpl || !p) return { errors: EMPTY, warnings: EMPTY };
    if (lang === 'vi') return { errors: data.errors, warnings: data.warnings };
    const local = validate(tpl, data.values, { period: p, unitType: data.unit.type, unit: data.unit, asOf: data.asOf, lang, view });
    return {
      errors: localized(data.errors, local.errors, lang),
      warnings: localized(data.warnings, local.warnings, lang),
    };
  }, [data, tpl, p, lang, view]);
  const unexplainedIds = useMemo(
    () => new Set(unexplained(issues.warnings, data?.explanations).map((w) => w.id)),
    [issues.warnings, data?.explanations],
  );
  const index: IssueIndex = useMemo(() => indexIssues(tpl, [...issues.errors, ...issues.warnings]), [issues, tpl]);

  const decide = async (decision: 'accepted' | 'returned') => {
    if (!data) return;
    if (decision === 'returned' && !reason.trim()) {
      setReasonError(t('review.reasonRequired'));
      return;
    }
    setBusy(true);
    try {
      const r = await api.call('city.review.decide', {
        template: latest.id,
        period,
        unit,
        revision: data.revision,
        decision,
        ...(decision === 'returned' ? { reason: reason.trim() } : {}),
      });
      notifications.show({ color: decision === 'accepted' ? 'green' : 'orange', message: r.message });
      setReturning(false);
      setReason('');
      await load();
    } catch (e) {
      if (decision === 'returned') setReasonError(messageOf(e));
      else notifications.show({ color: 'red', title: t('review.decideFailed'), message: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  const compare = async () => {
    setDiffError(null);
    try {
      setChanges(
        await api.call('city.review.diff', { template: latest.id, period, unit, from: Number(from), to: Number(to) }),
      );
    } catch (e) {
      setDiffError(messageOf(e));
    }
  };

  if (error)
    return (
      <Alert color="red" icon={<IconAlertCircle />} role="alert" title={t('review.openFailed')}>
        <Text>{error}</Text>
        <Button mt="sm" variant="light" onClick={onBack} leftSection={<IconArrowLeft size={16} />}>
          {t('review.back')}
        </Button>
      </Alert>
    );
  if (!data || !tpl || !p)
    return (
      <Group>
        <Loader size="sm" />
        <Text>{t('review.opening')}</Text>
      </Group>
    );

  const current = data.revisions.find((r) => r.current) ?? data.revisions[data.revisions.length - 1]!;
  // Revisions on different versions of the template (a new version published in the period): each says its own.
  const mixedVersions = new Set(data.revisions.map((r) => r.templateVersion ?? data.templateVersion)).size > 1;
  const revOptions = [...data.revisions]
    .sort((a, b) => b.revision - a.revision)
    .map((r) => ({ value: String(r.revision), label: t('history.revision', { n: r.revision }) }));

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Group gap="xs" align="flex-start" wrap="nowrap">
          <Button variant="subtle" size="compact-md" px={6} onClick={onBack} aria-label={t('review.back')}>
            <IconArrowLeft size={18} />
          </Button>
          <div>
            <Title order={3} size="h4" data-testid="review-title">
              {data.unit.name} · {periodLabel(period, lang)}
            </Title>
            <Group gap={6} mt={4}>
              <Text size="sm" c="dimmed">
                {t('review.subtitle', {
                  code: data.unit.code,
                  type: unitTypeLabel(data.unit.type, lang),
                  n: data.revision,
                  at: formatDateTime(current.submittedAt ?? current.importedAt),
                })}
              </Text>
              <Badge color={REVIEW_COLOR[current.review]} variant="filled" data-testid="review-state">
                {t(`review.state.${current.review}`)}
              </Badge>
              {current.late && (
                <Badge color="orange" variant="light">
                  {t('state.late')}
                </Badge>
              )}
              {current.editedOutside && (
                <Badge
                  color="yellow"
                  variant="filled"
                  leftSection={<IconPencilExclamation size={13} />}
                  data-testid="edited-outside"
                >
                  {t('review.editedOutside')}
                </Badge>
              )}
            </Group>
          </div>
        </Group>
        <Group gap="xs" wrap="nowrap">
          <Button
            color="red"
            variant="light"
            leftSection={<IconArrowBackUp size={16} />}
            onClick={() => {
              setReasonError(null);
              setReturning(true);
            }}
            disabled={busy}
          >
            {t('review.return')}
          </Button>
          <Button
            color="green"
            leftSection={<IconCircleCheck size={16} />}
            onClick={() => void decide('accepted')}
            loading={busy && !returning}
            disabled={current.review === 'accepted'}
          >
            {t('review.accept')}
          </Button>
        </Group>
      </Group>
      {current.editedOutside && (
        <Alert color="yellow" icon={<IconPencilExclamation />} py="xs">
          {t('review.editedOutsideHint')}
        </Alert>
      )}
      {current.review === 'returned' && current.reason && (
        <Alert color="red" icon={<IconArrowBackUp />} py="xs" data-testid="returned-reason">
          {t('review.returnedBecause', { reason: current.reason, at: formatDateTime(current.decidedAt) })}
          {current.decidedBy && ` ${t('users.decidedBy', { name: current.decidedBy })}.`}
        </Alert>
      )}
      <Conflicts template={latest} period={period} unit={unit} lang={lang} onResolved={() => void load()} />
      <Card withBorder padding={0} className="review-form">
        <Tabs value={tab} onChange={(v) => v && setTab(v)} keepMounted={false} className="editor-tabs">
          <IssueSummary
            sections={tpl.sections}
            errors={issues.errors}
            warnings={issues.warnings}
            unexplainedIds={unexplainedIds}
            open={summaryOpen}
            onToggle={() => setSummaryOpen((o) => !o)}
            onJump={(i) => setTab(i.section)}
            blockedReason={null}
          />
          <Tabs.List>
            {tpl.sections.map((s) => (
              <SectionTab key={s.key} section={s} lang={lang} errors={issues.errors} warnings={issues.warnings} />
            ))}
          </Tabs.List>
          {tpl.sections.map((s) => (
            <Tabs.Panel key={s.key} value={s.key}>
              <div className="form-root">
                <SectionForm
                  section={s}
                  lang={lang}
                  values={data.values[s.key] ?? {}}
                  view={view}
                  periodYear={p.year}
                  issues={index}
                  explanations={data.explanations}
                  asOf={data.asOf[s.key] ?? win.end}
                  window={win}
                  readOnly
                  {...READ_ONLY_HANDLERS}
                  skipped={notApplicable(tpl, data.unit)}
                  unitName={data.unit.name}
                />
              </div>
            </Tabs.Panel>
          ))}
        </Tabs>
      </Card>

      <Card withBorder padding="sm">
        <Title order={4} size="h5" mb="xs">
          {t('review.revisions')}
        </Title>
        <Table withTableBorder striped data-testid="review-revisions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('history.rev')}</Table.Th>
              <Table.Th>{t('review.submittedAt')}</Table.Th>
              <Table.Th>{t('review.importedAt')}</Table.Th>
              {mixedVersions && <Table.Th>{t('review.templateVersion')}</Table.Th>}
              <Table.Th>{t('review.stateCol')}</Table.Th>
              <Table.Th>{t('history.package')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...data.revisions]
              .sort((a, b) => b.revision - a.revision)
              .map((r) => (
                <Table.Tr key={r.packageId} data-revision={r.revision}>
                  <Table.Td fw={r.current ? 700 : 400}>
                    {r.revision}
                    {r.current && (
                      <Badge ml={6} size="xs" variant="light">
                        {t('review.current')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{r.submittedAt ? formatDateTime(r.submittedAt) : '—'}</Table.Td>
                  <Table.Td>{formatDateTime(r.importedAt)}</Table.Td>
                  {mixedVersions && <Table.Td data-testid="revision-version">{t('review.versionN', { v: r.templateVersion })}</Table.Td>}
                  <Table.Td>
                    <Badge color={REVIEW_COLOR[r.review]} variant="light">
                      {t(`review.state.${r.review}`)}
                    </Badge>
                    {r.reason && (
                      <Text size="xs" c="red.8">
                        {r.reason}
                      </Text>
                    )}
                    {r.decidedBy && r.review !== 'received' && (
                      <Text size="xs" c="dimmed" data-testid="decided-by">
                        {t('users.decidedBy', { name: r.decidedBy })}
                      </Text>
                    )}
                    {r.editedOutside && (
                      <Text size="xs" c="yellow.9">
                        {t('review.editedOutside')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {r.packageId}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
          </Table.Tbody>
        </Table>
        {data.revisions.length > 1 ? (
          <Stack mt="sm" gap="xs">
            <Group align="flex-end">
              <NativeSelect
                label={t('history.from')}
                data={revOptions}
                value={from}
                onChange={(e) => setFrom(e.currentTarget.value)}
              />
              <NativeSelect
                label={t('history.to')}
                data={revOptions}
                value={to}
                onChange={(e) => setTo(e.currentTarget.value)}
              />
              <Button variant="light" onClick={() => void compare()}>
                {t('history.compare')}
              </Button>
            </Group>
            {diffError && (
              <Alert color="red" icon={<IconAlertCircle />}>
                {diffError}
              </Alert>
            )}
            {changes && (
              <>
                <Text size="sm" fw={600}>
                  {t('history.caption', {
                    from: t('history.revision', { n: from }),
                    to: t('history.revision', { n: to }),
                  })}
                </Text>
                <ChangesTable changes={changes} template={tpl} lang={lang} />
              </>
            )}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed" mt="xs">
            {t('review.oneRevision')}
          </Text>
        )}
      </Card>

      <Modal opened={returning} onClose={() => setReturning(false)} title={t('review.returnTitle')} size="lg" centered>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void decide('returned');
          }}
        >
          <Stack>
            <Text size="sm">{t('review.returnIntro', { unit: data.unit.name, n: data.revision })}</Text>
            <Textarea
              label={t('review.reason')}
              description={t('review.reasonHint')}
              value={reason}
              onChange={(e) => {
                setReason(e.currentTarget.value);
                setReasonError(null);
              }}
              error={reasonError}
              minRows={3}
              autosize
              maxLength={2000}
              required
              data-autofocus
              data-testid="return-reason"
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setReturning(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" color="red" loading={busy}>
                {t('review.confirmReturn')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
