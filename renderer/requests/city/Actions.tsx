import { useEffect, useState } from 'react';
import { Alert, Button, Code, Group, Loader, Modal, MultiSelect, SegmentedControl, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { DateInput } from '@mantine/dates';
import { IconAlertTriangle, IconDownload, IconKey } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Input, Output, Unit } from '../../../shared/contract.js';
import type { Lang } from '../../../shared/i18n.js';
import { formatNumber, parseDate } from '../../../shared/format.js';
import { deadlineText, type DueWording, type RequestEdition } from '../../../shared/requests.js';
import { matchesQuery } from '../../../shared/text.js';
import { api, detailMessages, messageOf } from '../../api.js';
import { downloadOther } from './download.js';
import { lastDayText, resolveLines } from './units.js';

function Failure({ error }: { error: { message: string; details: string[] } | null }) {
  if (!error) return null;
  return (
    <Alert color="red" icon={<IconAlertTriangle />} role="alert" data-testid="action-error">
      <Text size="sm">{error.message}</Text>
      {error.details.map((d, i) => (
        <Text key={i} size="sm">
          {d}
        </Text>
      ))}
    </Alert>
  );
}

/** "Ra bản mới": a later deadline, more units, a changed title or instruction, with a note saying what changed. */
export function AmendModal({
  current,
  lang,
  opened,
  onClose,
  onDone,
}: {
  current: RequestEdition;
  lang: Lang;
  opened: boolean;
  onClose: () => void;
  onDone: (e: RequestEdition) => void;
}) {
  const { t } = useTranslation();
  const [due, setDue] = useState<string | null>(current.due);
  const [wording, setWording] = useState<DueWording>(current.dueWording);
  const [title, setTitle] = useState(current.title);
  const [instruction, setInstruction] = useState(current.instruction ?? '');
  const [note, setNote] = useState('');
  const [units, setUnits] = useState<Unit[] | null>(null);
  const [added, setAdded] = useState<string[]>([]);
  const [paste, setPaste] = useState('');
  const [unmatched, setUnmatched] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; details: string[] } | null>(null);

  useEffect(() => {
    if (!opened || units) return;
    api
      .call('units.list', {})
      .then((r) => setUnits(r.units))
      .catch((e) => setError({ message: messageOf(e), details: [] }));
  }, [opened, units]);

  const others = (units ?? []).filter((u) => !current.units.includes(u.code));
  const dueChanged = due !== current.due || wording !== current.dueWording;
  const noteError = tried && !note.trim() ? t('cityRequests.amend.needNote') : undefined;
  const dueError = tried && !due ? t('cityRequests.form.needDue') : undefined;

  const submit = async () => {
    setTried(true);
    setError(null);
    if (!note.trim() || !due) return;
    const input: Input<'requests.amend'> = { id: current.id, note: note.trim() };
    if (dueChanged) Object.assign(input, { due, dueWording: wording });
    if (added.length) input.addressees = { kind: 'units', codes: [...current.units, ...added] };
    if (title.trim() !== current.title) input.title = title.trim();
    if (instruction.trim() !== (current.instruction ?? '').trim()) input.instruction = instruction.trim();
    setBusy(true);
    try {
      onDone(await api.call('requests.amend', input));
    } catch (e) {
      setError({ message: messageOf(e), details: detailMessages(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={() => !busy && onClose()} title={t('cityRequests.amend.title', { n: current.edition + 1 })} size="xl">
      <Stack gap="sm" data-testid="amend-form">
        <Text size="sm" c="dimmed">
          {t('cityRequests.amend.intro')}
        </Text>
        <Group align="flex-start" gap="md" wrap="wrap">
          <DateInput
            label={t('cityRequests.form.due')}
            value={due}
            onChange={(v) => setDue(v ? String(v).slice(0, 10) : null)}
            valueFormat="DD/MM/YYYY"
            dateParser={(s) => parseDate(s)}
            placeholder="dd/mm/yyyy"
            w={200}
            error={dueError}
            data-testid="amend-due"
            popoverProps={{ withinPortal: true }}
          />
          <div>
            <Text size="sm" fw={500} mb={4} id="amend-wording-label">
              {t('cityRequests.form.dueWording')}
            </Text>
            <SegmentedControl
              value={wording}
              onChange={(v) => setWording(v as DueWording)}
              data={[
                { value: 'trong', label: t('cityRequests.form.wordingTrong') },
                { value: 'truoc', label: t('cityRequests.form.wordingTruoc') },
              ]}
              aria-labelledby="amend-wording-label"
            />
          </div>
        </Group>
        {due && (
          <Text size="sm" fw={500} c="blue.8" data-testid="amend-deadline-sentence">
            {t('cityRequests.form.deadlineSentence', { text: deadlineText(due, wording, lang), last: lastDayText(due, wording) })}
          </Text>
        )}
        <Group align="flex-start" gap="md" wrap="wrap" grow>
          <MultiSelect
            label={t('cityRequests.amend.addUnits', { n: formatNumber(current.units.length) })}
            placeholder={t('cityRequests.form.pickUnitsPlaceholder')}
            data={others.map((u) => ({ value: u.code, label: `${u.name} (${u.code})` }))}
            value={added}
            onChange={setAdded}
            searchable
            clearable
            limit={50}
            disabled={!units}
            filter={({ options, search }) => options.filter((o) => 'label' in o && matchesQuery(o.label, search))}
            comboboxProps={{ withinPortal: true }}
            data-testid="amend-units"
          />
          <Stack gap={4}>
            <Textarea
              label={t('cityRequests.form.pasteUnits')}
              value={paste}
              onChange={(e) => setPaste(e.currentTarget.value)}
              autosize
              minRows={1}
              maxRows={5}
            />
            <Group>
              <Button
                size="xs"
                variant="light"
                disabled={!paste.trim() || !units}
                onClick={() => {
                  const r = resolveLines(paste, others);
                  setAdded((a) => [...a, ...r.codes.filter((c) => !a.includes(c))]);
                  setUnmatched(r.unmatched);
                  setPaste(r.unmatched.join('\n'));
                }}
              >
                {t('cityRequests.form.pasteAdd')}
              </Button>
            </Group>
          </Stack>
        </Group>
        {unmatched.length > 0 && (
          <Alert color="orange" icon={<IconAlertTriangle />}>
            {t('cityRequests.amend.unmatched', { n: unmatched.length, list: unmatched.join('; ') })}
          </Alert>
        )}
        {!units && opened && <Loader size="xs" />}
        <TextInput label={t('cityRequests.form.requestTitle')} value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
        <Textarea
          label={t('cityRequests.form.instruction')}
          value={instruction}
          onChange={(e) => setInstruction(e.currentTarget.value)}
          autosize
          minRows={2}
          maxRows={6}
        />
        <Textarea
          label={t('cityRequests.amend.note')}
          description={t('cityRequests.amend.noteHint')}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={1000}
          error={noteError}
          withAsterisk
          data-testid="amend-note"
        />
        <Failure error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </Button>
          <Button onClick={() => void submit()} loading={busy} data-testid="amend-submit">
            {t('cityRequests.amend.submit', { n: current.edition + 1 })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** "Thu hồi": a last edition with state withdrawn, a reason required, after a confirmation. */
export function WithdrawModal({
  current,
  opened,
  onClose,
  onDone,
}: {
  current: RequestEdition;
  opened: boolean;
  onClose: () => void;
  onDone: (e: RequestEdition) => void;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; details: string[] } | null>(null);
  const submit = async () => {
    setTried(true);
    setError(null);
    if (!reason.trim()) return;
    setBusy(true);
    try {
      onDone(await api.call('requests.withdraw', { id: current.id, reason: reason.trim() }));
    } catch (e) {
      setError({ message: messageOf(e), details: detailMessages(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={() => !busy && onClose()} title={t('cityRequests.withdraw.title')} size="lg">
      <Stack gap="sm" data-testid="withdraw-form">
        <Text size="sm">{t('cityRequests.withdraw.confirm', { title: current.title, n: formatNumber(current.units.length) })}</Text>
        <Textarea
          label={t('cityRequests.withdraw.reason')}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={1000}
          error={tried && !reason.trim() ? t('cityRequests.withdraw.needReason') : undefined}
          withAsterisk
          data-testid="withdraw-reason"
        />
        <Failure error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </Button>
          <Button color="red" onClick={() => void submit()} loading={busy} data-testid="withdraw-submit">
            {t('cityRequests.withdraw.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** "Khóa của Thành phố": the fingerprint offices compare, and the public key file to give them. */
export function CityKeyButton() {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  const [key, setKey] = useState<Output<'keys.city'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const open = () => {
    setOpened(true);
    setError(null);
    api
      .call('keys.city', {})
      .then(setKey)
      .catch((e) => setError(messageOf(e)));
  };
  return (
    <>
      <Button variant="default" leftSection={<IconKey size={18} />} onClick={open} data-testid="city-key">
        {t('cityRequests.key.button')}
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={t('cityRequests.key.title')} size="lg">
        <Stack gap="sm" data-testid="city-key-panel">
          <Text size="sm">{t('cityRequests.key.intro')}</Text>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          {!key && !error && <Loader size="sm" />}
          {key && (
            <>
              <Text size="sm" fw={500}>
                {t('cityRequests.key.fingerprint')}
              </Text>
              <Code block data-testid="city-key-fingerprint">
                {key.fingerprint}
              </Code>
              <Group justify="flex-end">
                <Button
                  leftSection={<IconDownload size={18} />}
                  onClick={() => void downloadOther(t, async () => ({ fileName: key.fileName, data: btoa(key.publicKey) }))}
                  data-testid="city-key-download"
                >
                  {t('cityRequests.key.download')}
                </Button>
              </Group>
            </>
          )}
        </Stack>
      </Modal>
    </>
  );
}
