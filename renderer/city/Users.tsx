import { useCallback, useEffect, useState } from 'react';
import {
  ActionIcon,
  Alert,
  Autocomplete,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Loader,
  Modal,
  PasswordInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconCheck,
  IconKey,
  IconLock,
  IconLockOpen,
  IconLogout,
  IconUserPlus,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { CityUserInfo } from '../../shared/contract.js';
import { formatDateTime } from '../../shared/format.js';
import { KNOWN_DEPARTMENTS } from '../../shared/requests.js';
import { api, messageOf, whoAmI, type Me } from '../api.js';

/**
 * City users (issue 9): the users screen (administrators: list, add, reset a password, disable),
 * the signed-in user in the header, and the optional administrator account at first start.
 */

const MIN_PASSWORD = 8;
const DEPARTMENTS = [...KNOWN_DEPARTMENTS];

/** auth.me, asked once (renderer/api.ts keeps it with the CSRF token). */
export function useMe(): Me | null {
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    let live = true;
    void whoAmI().then((m) => live && setMe(m));
    return () => {
      live = false;
    };
  }, []);
  return me;
}

/** Whether the users tab is shown: the city has users and the caller is an administrator (or the desktop's own person). */
export const showsUsersTab = (me: Me | null) => !!me && me.usersExist && (me.user === null || me.user.admin);

/** The header's signed-in user: name, department, and "Đăng xuất" (narrow windows: the name and an icon). */
export function SignedInUser({ user, onSignOut }: { user: NonNullable<Me['user']>; onSignOut: () => void }) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" wrap="nowrap" data-testid="signed-in-user" style={{ minWidth: 0 }}>
      <Tooltip label={t('users.signedInAs', { name: user.name, department: user.department })}>
        <div style={{ minWidth: 0, maxWidth: 220, textAlign: 'right' }}>
          <Text size="sm" fw={600} lh={1.2} truncate maw={{ base: 130, lg: 220 }}>
            {user.name}
          </Text>
          <Text size="xs" c="dimmed" lh={1.2} truncate visibleFrom="lg">
            {user.department}
          </Text>
        </div>
      </Tooltip>
      <Button
        visibleFrom="lg"
        size="xs"
        variant="subtle"
        leftSection={<IconLogout size={16} />}
        onClick={onSignOut}
        data-testid="header-logout"
      >
        {t('users.signOut')}
      </Button>
      <Tooltip label={t('users.signOut')}>
        <ActionIcon hiddenFrom="lg" variant="subtle" onClick={onSignOut} aria-label={t('users.signOut')}>
          <IconLogout size={18} />
        </ActionIcon>
      </Tooltip>
    </Group>
  );
}

function passwordProblem(password: string, again: string, t: (k: string) => string): string | null {
  if ([...password.normalize('NFC')].length < MIN_PASSWORD) return t('users.tooShort');
  if (password !== again) return t('users.mismatch');
  return null;
}

function DepartmentInput({
  value,
  onChange,
  required = true,
}: {
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Autocomplete
      label={t('users.department')}
      description={t('users.departmentHint')}
      data={DEPARTMENTS}
      value={value}
      onChange={onChange}
      required={required}
      maxLength={200}
      comboboxProps={{ position: 'bottom-start', middlewares: { flip: false, shift: true } }}
    />
  );
}

// ---------- first start: the optional administrator ----------

export interface AdminDraft {
  name: string;
  department: string;
  password: string;
  again: string;
}
export const EMPTY_ADMIN: AdminDraft = { name: '', department: '', password: '', again: '' };
const filled = (d: AdminDraft) => !!(d.name.trim() || d.password || d.again);

/** What is wrong with the administrator typed at first start (null: nothing typed, or all right). */
export function adminDraftProblem(d: AdminDraft, t: (k: string) => string): string | null {
  if (!filled(d)) return null;
  if (!d.name.trim() || !d.department.trim()) return t('users.needName');
  return passwordProblem(d.password, d.again, t);
}

/** Create the administrator typed at first start (after app.setup made this a city database). */
export async function createFirstAdmin(d: AdminDraft): Promise<void> {
  if (!filled(d)) return;
  await api.call('users.add', {
    name: d.name.trim(),
    department: d.department.trim(),
    admin: true,
    password: d.password,
  });
  // From now on every page needs a sign-in: the browser opens the sign-in page.
  if (!window.api) window.location.assign(new URL('login', document.baseURI).href);
}

/** The "Tài khoản quản trị" fields of the first start (shown for the city role while it has no users). */
export function SetupAdmin({ value, onChange }: { value: AdminDraft; onChange: (d: AdminDraft) => void }) {
  const { t } = useTranslation();
  const me = useMe();
  if (!me || me.usersExist) return null;
  const set = (k: keyof AdminDraft) => (v: string) => onChange({ ...value, [k]: v });
  return (
    <Card withBorder radius="md" padding="md" data-testid="setup-admin">
      <Stack gap="sm">
        <div>
          <Text fw={600}>{t('users.setupTitle')}</Text>
          <Text size="sm" c="dimmed">
            {t('users.setupHint')}
          </Text>
        </div>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <TextInput
            label={t('users.name')}
            value={value.name}
            onChange={(e) => set('name')(e.currentTarget.value)}
            maxLength={100}
            autoComplete="off"
          />
          <DepartmentInput value={value.department} onChange={set('department')} required={false} />
          <PasswordInput
            label={t('users.password')}
            description={t('users.passwordHint')}
            value={value.password}
            onChange={(e) => set('password')(e.currentTarget.value)}
            autoComplete="new-password"
          />
          <PasswordInput
            label={t('users.again')}
            value={value.again}
            onChange={(e) => set('again')(e.currentTarget.value)}
            autoComplete="new-password"
          />
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

// ---------- the users screen ----------

function AddUser({ onAdded }: { onAdded: (u: CityUserInfo) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [department, setDepartment] = useState('');
  const [admin, setAdmin] = useState(false);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setError(null);
    const problem = !name.trim() || !department.trim() ? t('users.needName') : passwordProblem(password, again, t);
    if (problem) return setError(problem);
    setBusy(true);
    try {
      const u = await api.call('users.add', { name: name.trim(), department: department.trim(), admin, password });
      setName('');
      setDepartment('');
      setAdmin(false);
      setPassword('');
      setAgain('');
      onAdded(u);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder radius="md" padding="md">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="sm">
          <Title order={3} size="h5">
            {t('users.addTitle')}
          </Title>
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
            <TextInput
              label={t('users.name')}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              required
              maxLength={100}
              autoComplete="off"
            />
            <DepartmentInput value={department} onChange={setDepartment} />
            <PasswordInput
              label={t('users.password')}
              description={t('users.passwordHint')}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              required
              autoComplete="new-password"
            />
            <PasswordInput
              label={t('users.again')}
              value={again}
              onChange={(e) => setAgain(e.currentTarget.value)}
              required
              autoComplete="new-password"
            />
          </SimpleGrid>
          <Checkbox label={t('users.isAdmin')} checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
          {error && (
            <Alert color="red" icon={<IconAlertTriangle />} role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={busy} leftSection={<IconUserPlus size={18} />}>
              {t('users.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function ResetPassword({
  name,
  onClose,
  onDone,
}: {
  name: string;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError(null);
    const problem = passwordProblem(password, again, t);
    if (problem) return setError(problem);
    setBusy(true);
    try {
      onDone((await api.call('users.setPassword', { name, password })).message);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened onClose={onClose} title={t('users.resetTitle', { name })} centered>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="sm">
          <PasswordInput
            label={t('users.password')}
            description={t('users.passwordHint')}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            required
            autoComplete="new-password"
            data-autofocus
          />
          <PasswordInput
            label={t('users.again')}
            value={again}
            onChange={(e) => setAgain(e.currentTarget.value)}
            required
            autoComplete="new-password"
          />
          {error && (
            <Alert color="red" icon={<IconAlertTriangle />} role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} leftSection={<IconKey size={18} />}>
              {t('users.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The administrators' users screen: list, add (department from KNOWN_DEPARTMENTS or free text), reset a password, disable. */
export function Users() {
  const { t } = useTranslation();
  const me = useMe();
  const [list, setList] = useState<CityUserInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .call('users.list', {})
      .then(setList)
      .catch((e) => setError(messageOf(e)));
  }, []);
  useEffect(load, [load]);

  const toggle = async (u: CityUserInfo) => {
    setError(null);
    setDone(null);
    setBusy(u.name);
    try {
      const after = await api.call('users.disable', { name: u.name, disabled: !u.disabled });
      setDone(t(after.disabled ? 'users.disabledDone' : 'users.enabledDone', { name: after.name }));
      load();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack gap="md" data-testid="users-screen">
      <div>
        <Title order={2} size="h4">
          {t('users.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('users.intro')}
        </Text>
      </div>
      {error && (
        <Alert color="red" icon={<IconAlertTriangle />} role="alert" withCloseButton onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      {done && (
        <Alert color="green" icon={<IconCheck />} withCloseButton onClose={() => setDone(null)}>
          {done}
        </Alert>
      )}
      {!list ? (
        !error && (
          <Group>
            <Loader size="sm" />
            <Text>{t('users.loading')}</Text>
          </Group>
        )
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover verticalSpacing="xs" data-testid="users-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('users.colName')}</Table.Th>
                <Table.Th>{t('users.colDepartment')}</Table.Th>
                <Table.Th>{t('users.colRole')}</Table.Th>
                <Table.Th>{t('users.colState')}</Table.Th>
                <Table.Th>{t('users.colLastLogin')}</Table.Th>
                <Table.Th>{t('users.colActions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((u) => (
                <Table.Tr key={u.name}>
                  <Table.Td fw={600}>
                    {u.name}{' '}
                    {me?.user?.name === u.name && (
                      <Text span size="sm" c="dimmed">
                        {t('users.you')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{u.department}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={u.admin ? 'grape' : 'blue'}>
                      {u.admin ? t('users.roleAdmin') : t('users.roleClerk')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="dot" color={u.disabled ? 'gray' : 'green'}>
                      {u.disabled ? t('users.disabled') : t('users.active')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {u.lastLoginAt ? (
                      formatDateTime(u.lastLoginAt)
                    ) : (
                      <Text span size="sm" c="dimmed">
                        {t('users.never')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        leftSection={<IconKey size={14} />}
                        onClick={() => setResetting(u.name)}
                      >
                        {t('users.resetPassword')}
                      </Button>
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        color={u.disabled ? 'green' : 'red'}
                        leftSection={u.disabled ? <IconLockOpen size={14} /> : <IconLock size={14} />}
                        loading={busy === u.name}
                        onClick={() => void toggle(u)}
                      >
                        {u.disabled ? t('users.enable') : t('users.disable')}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <AddUser
        onAdded={(u) => {
          setError(null);
          setDone(t('users.added', { name: u.name }));
          load();
        }}
      />
      {resetting && (
        <ResetPassword
          name={resetting}
          onClose={() => setResetting(null)}
          onDone={(message) => {
            setResetting(null);
            setDone(message);
          }}
        />
      )}
    </Stack>
  );
}
