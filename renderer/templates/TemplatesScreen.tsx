import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { Alert, Button, Card, FileButton, Group, Loader, Modal, Stack, Table, Text, Title } from '@mantine/core';
import {
  IconAlertCircle,
  IconCircleCheck,
  IconDownload,
  IconFileSpreadsheet,
  IconFileUpload,
  IconSend,
  IconSignature,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, AuthoringProblem, Output, TemplateInfo, Unit } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatDateTime, formatNumber } from '../../shared/format.js';
import { parseTemplate } from '../../shared/template/model.js';
import { SHEETS } from '../../shared/template/authoring/format.js';
import type { Template } from '../../shared/template/schema.js';
import { api, messageOf, readFileBase64 } from '../api.js';
import { exportFile } from '../exportFile.js';
import { RetryAlert } from '../RetryAlert.js';
import { TemplatePreview } from './TemplatePreview.js';

type Checked = Output<'templates.check'>;
interface Opened {
  file: { fileName: string; data: string };
  result: Checked;
  template: Template | null;
}

/** Column letters in the order of the sheet: B before AA. */
function columnOrder(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x.length - y.length || x.localeCompare(y);
}

const SHEET_ORDER = Object.values(SHEETS).map((s) => s.name);
/** A sheet's place: the authoring workbook's sheets in their order, any other sheet after them. */
function sheetOrder(a: string, b: string): number {
  const x = SHEET_ORDER.indexOf(a);
  const y = SHEET_ORDER.indexOf(b);
  return (x < 0 ? SHEET_ORDER.length : x) - (y < 0 ? SHEET_ORDER.length : y) || a.localeCompare(b, 'vi');
}

/** Problems by sheet, row, column: the order a clerk walks through the workbook. */
export function sortProblems(list: AuthoringProblem[]): AuthoringProblem[] {
  return [...list].sort(
    (a, b) => sheetOrder(a.sheet, b.sheet) || (a.row ?? 0) - (b.row ?? 0) || columnOrder(a.column, b.column),
  );
}

/**
 * "Tải tệp gửi xã (đã ký)": a template as the file a commune can receive (templates.exportSigned,
 * issue 9): communes accept only templates the city signed.
 */
function SignedButton({
  id,
  version,
  busy,
  download,
  label,
  ariaLabel,
  testId = `signed-${id}@${version}`,
}: {
  id: string;
  version: number;
  busy: string | null;
  download: (key: string, make: () => Promise<{ fileName: string; data: string }>) => Promise<void>;
  label: string;
  ariaLabel: string;
  testId?: string;
}) {
  const key = `signed:${id}@${version}`;
  return (
    <Button
      size="xs"
      variant="light"
      color="teal"
      leftSection={<IconSignature size={14} />}
      loading={busy === key}
      disabled={busy !== null && busy !== key}
      onClick={() => void download(key, () => api.call('templates.exportSigned', { id, version }))}
      aria-label={ariaLabel}
      data-testid={testId}
    >
      {label}
    </Button>
  );
}

/**
 * The city's "Mẫu báo cáo": the templates and their versions (each as an authoring workbook), the
 * empty starter workbook, and a workbook opened to check, preview and publish.
 */
export function TemplatesScreen({
  info,
  lang,
  onPublished,
}: {
  info: AppInfo;
  lang: Lang;
  /** After publishing: the app reloads the templates it knows (the template choice). */
  onPublished: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [list, setList] = useState<TemplateInfo[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [units, setUnits] = useState<Unit[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  const [opened, setOpened] = useState<Opened | null>(null);
  const [dragging, setDragging] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const [published, setPublished] = useState<{ message: string; id: string; version: number } | null>(null);
  const resetRef = useRef<() => void>(null);

  const load = useCallback(() => {
    api
      .call('templates.list', {})
      .then((l) => {
        setList(l);
        setListError(null);
      })
      .catch((e) => setListError(messageOf(e)));
  }, []);
  useEffect(load, [load]);
  useEffect(() => {
    api
      .call('units.list', {})
      .then((r) => setUnits(r.units))
      .catch(() => setUnits([])); // the preview then shows every item, as for no unit
  }, []);

  const download = async (key: string, make: () => Promise<{ fileName: string; data: string }>) => {
    setBusy(key);
    await exportFile(t, make);
    setBusy(null);
  };

  const open = async (file: File | null) => {
    resetRef.current?.();
    if (!file) return;
    setFileError(null);
    setPublished(null);
    setChecking(true);
    try {
      const data = await readFileBase64(file);
      const f = { fileName: file.name, data };
      const result = await api.call('templates.check', { file: f });
      const template = result.problems.length === 0 && result.template ? parseTemplate(result.template) : null;
      setOpened({ file: f, result, template });
    } catch (e) {
      // A refused file: its message beside the file input; what was open stays open.
      setFileError(t('templates.fileRefused', { name: file.name, reason: messageOf(e) }));
    } finally {
      setChecking(false);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (checking) return;
    const f = e.dataTransfer.files[0];
    if (f) void open(f);
  };

  const publish = async () => {
    if (!opened) return;
    setPublishing(true);
    try {
      const r = await api.call('templates.publish', { file: opened.file });
      setConfirm(false);
      setOpened(null);
      setPublished(r);
      load();
      onPublished(r.id);
    } catch (e) {
      setConfirm(false);
      setFileError(messageOf(e));
    } finally {
      setPublishing(false);
    }
  };

  const problems = useMemo(() => (opened ? sortProblems(opened.result.problems) : []), [opened]);
  const version = opened?.result.nextVersion ?? 1;

  return (
    <Stack gap="md" data-testid="templates-screen">
      <Card withBorder padding="md">
        <Title order={3} size="h4" mb={4}>
          {t('templates.listTitle')}
        </Title>
        <Text size="sm" c="dimmed" mb={4}>
          {t('templates.listIntro')}
        </Text>
        <Text size="sm" mb="sm" data-testid="template-signed-hint">
          {t('signedTemplates.hint')}
        </Text>
        {listError && <RetryAlert message={listError} mb="sm" onRetry={load} />}
        {!list && !listError && <Loader size="sm" />}
        {list && (
          <Table.ScrollContainer minWidth={760}>
            <Table withTableBorder striped verticalSpacing="xs" data-testid="templates-list">
              <Table.Thead>
                <Table.Tr style={{ whiteSpace: 'nowrap' }}>
                  <Table.Th>{t('templates.colId')}</Table.Th>
                  <Table.Th>{t('templates.colTitle')}</Table.Th>
                  <Table.Th ta="center">{t('templates.colVersion')}</Table.Th>
                  <Table.Th>{t('templates.colSource')}</Table.Th>
                  <Table.Th>{t('templates.colPublished')}</Table.Th>
                  <Table.Th ta="right">{t('templates.colReturns')}</Table.Th>
                  <Table.Th aria-label={`${t('templates.workbook')}, ${t('signedTemplates.download')}`} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((k) => {
                  const key = `${k.id}@${k.version}`;
                  return (
                    <Table.Tr key={key} data-template={key}>
                      <Table.Td fw={600} style={{ whiteSpace: 'nowrap' }}>
                        {k.id}
                      </Table.Td>
                      <Table.Td>{k.title}</Table.Td>
                      <Table.Td ta="center">{k.version}</Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <Text
                          size="sm"
                          c={k.source === 'builtin' ? 'dimmed' : 'blue.8'}
                          fw={k.source === 'builtin' ? 400 : 600}
                        >
                          {t(`templates.source.${k.source}`)}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {k.publishedAt ? formatDateTime(k.publishedAt) : '—'}
                      </Table.Td>
                      <Table.Td ta="right">{formatNumber(k.returns)}</Table.Td>
                      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                        <Group gap="xs" justify="flex-end" wrap="nowrap">
                          <Button
                            size="xs"
                            variant="light"
                            leftSection={<IconDownload size={14} />}
                            loading={busy === key}
                            disabled={busy !== null && busy !== key}
                            onClick={() =>
                              void download(key, () => api.call('templates.workbook', { id: k.id, version: k.version }))
                            }
                            aria-label={t('templates.workbookOf', { id: k.id, n: k.version })}
                            data-testid={`workbook-${key}`}
                          >
                            {t('templates.workbook')}
                          </Button>
                          {k.source !== 'received' && (
                            <SignedButton
                              id={k.id}
                              version={k.version}
                              busy={busy}
                              download={download}
                              label={t('signedTemplates.download')}
                              ariaLabel={t('signedTemplates.downloadOf', { id: k.id, n: k.version })}
                            />
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      <Card withBorder padding="md">
        <Title order={3} size="h4" mb={4}>
          {t('templates.authorTitle')}
        </Title>
        <Group gap="sm" mb="sm" wrap="nowrap" align="center">
          <Button
            variant="default"
            leftSection={<IconFileSpreadsheet size={18} />}
            loading={busy === 'starter'}
            disabled={busy !== null && busy !== 'starter'}
            onClick={() => void download('starter', () => api.call('templates.starter', {}))}
            data-testid="template-starter"
            style={{ flexShrink: 0 }}
          >
            {t('templates.starter')}
          </Button>
          <Text size="sm">{t('templates.starterHint')}</Text>
        </Group>
        <div
          className={`drop-zone ${dragging ? 'drop-zone-active' : ''}`}
          data-testid="template-drop"
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'copy';
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <Text fw={600}>{t('templates.drop')}</Text>
          <Text size="sm" c="dimmed" mb="sm">
            {t('templates.dropHint')}
          </Text>
          <FileButton resetRef={resetRef} onChange={(f) => void open(f)} accept=".xlsx">
            {(props) => (
              <Button
                {...props}
                leftSection={<IconFileUpload size={18} />}
                loading={checking}
                data-testid="template-open"
              >
                {t('templates.open')}
              </Button>
            )}
          </FileButton>
        </div>
        {fileError && (
          <Alert color="red" icon={<IconAlertCircle />} role="alert" mt="sm" data-testid="template-file-error">
            {fileError}
          </Alert>
        )}
        {published && (
          <Alert color="green" icon={<IconCircleCheck />} mt="sm" data-testid="template-published">
            <Text size="sm">{published.message}</Text>
            <Group gap="sm" mt={6} wrap="wrap">
              <Text size="sm">{t('signedTemplates.afterPublish')}</Text>
              <SignedButton
                id={published.id}
                version={published.version}
                busy={busy}
                download={download}
                label={t('signedTemplates.download')}
                ariaLabel={t('signedTemplates.downloadOf', { id: published.id, n: published.version })}
                testId="template-published-signed"
              />
            </Group>
          </Alert>
        )}
      </Card>

      {opened && problems.length > 0 && (
        <Card withBorder padding="md" data-testid="template-problems">
          <Title order={3} size="h4" mb={4} c="red.8">
            {t('templates.problemsTitle', { name: opened.file.fileName, count: problems.length })}
          </Title>
          <Text size="sm" mb="sm">
            {t('templates.problemsAdvice')}
          </Text>
          <Table.ScrollContainer minWidth={640}>
            <Table withTableBorder striped verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr style={{ whiteSpace: 'nowrap' }}>
                  <Table.Th>{t('templates.colSheet')}</Table.Th>
                  <Table.Th>{t('templates.colRow')}</Table.Th>
                  <Table.Th>{t('templates.colColumn')}</Table.Th>
                  <Table.Th>{t('templates.colProblem')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {problems.map((p, i) => (
                  <Table.Tr key={i} data-problem={`${p.sheet}!${p.column ?? ''}${p.row ?? ''}`}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{p.sheet}</Table.Td>
                    <Table.Td>{p.row ?? '—'}</Table.Td>
                    <Table.Td>{p.column ?? '—'}</Table.Td>
                    <Table.Td>{p.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      )}

      {opened?.template && (
        <Card withBorder padding="md" data-testid="template-checked">
          <Group justify="space-between" align="flex-start" mb="sm" wrap="wrap">
            <div style={{ minWidth: 0, flex: 1 }}>
              <Title order={3} size="h4" data-testid="template-preview-title">
                {t('templates.previewTitle', {
                  id: opened.template.id,
                  title: tx(opened.template.title, lang),
                })}
              </Title>
              <Text size="sm" c="dimmed">
                {opened.result.unchanged
                  ? t('templates.unchanged', { id: opened.template.id })
                  : t('templates.checkedOk', { name: opened.file.fileName, n: version })}
              </Text>
            </div>
            <Button
              leftSection={<IconSend size={18} />}
              onClick={() => setConfirm(true)}
              disabled={opened.result.unchanged}
              data-testid="template-publish"
            >
              {t('templates.publish', { n: version })}
            </Button>
          </Group>
          <TemplatePreview
            key={`${opened.template.id}@${version}/${opened.file.fileName}`}
            template={opened.template}
            lang={lang}
            today={info.today}
            units={units}
          />
        </Card>
      )}

      <Modal
        opened={confirm && !!opened?.template}
        onClose={() => !publishing && setConfirm(false)}
        title={t('templates.confirmTitle', { id: opened?.template?.id ?? '', n: version })}
        size="lg"
      >
        <Stack gap="sm">
          <Text size="sm">{t('templates.confirmBody', { n: version })}</Text>
          {version > 1 && <Text size="sm">{t('templates.confirmOld', { n: version })}</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(false)} disabled={publishing}>
              {t('common.cancel')}
            </Button>
            <Button onClick={() => void publish()} loading={publishing} data-testid="template-publish-confirm">
              {t('templates.publishConfirm', { n: version })}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
