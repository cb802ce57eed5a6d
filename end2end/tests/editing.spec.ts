import { expect, test, jsonStates } from './fixtures';
import { EventPage } from './pages/event-page';
import { RecordPage, EventForm, signIn, signOut } from './pages/editing-pages';

// The tests record in a dist of their own (the other specs read the
// imported histories), each under its own release, so parallel tests never
// meet.
const DIST = 'e2e-editing';
function uniqueRelease(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

test('an editor records, corrects and retracts an event without a page load, then signs out', async ({ page, request }) => {
  await signIn(page, 'editor');
  const record = new RecordPage(page);
  await page.getByRole('link', { name: 'Record an event' }).click();
  await page.waitForURL('**/events/new');
  await record.settle();
  const release = uniqueRelease('e2e');
  // A marker on the window survives only if the page is not reloaded.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  await record.form.fill({ dist: DIST, release, state: 'branched', change: 'entered the state', note: 'branched <today> & frozen' });
  await record.submit.click();
  await expect(record.outcome).toContainText(`${DIST} ${release} entered branched — it was not in branched before`);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  await expect(record.form.form.locator('[name="release"]')).toHaveValue(release);

  // The matrix and the JSON view show it.
  expect((await jsonStates(request, DIST))[release]).toEqual(['branched']);
  await page.goto(`/dists/${DIST}`);
  await expect(page.locator('main')).toContainText(release);

  // Correct it: the release was meant to be `${release}x`.
  await page.goto('/events');
  await page.locator('tr', { hasText: release }).getByRole('link', { name: /^#\d+$/ }).click();
  const event = new EventPage(page);
  await event.settle();
  const oldId = event.id();
  await page.getByText('Correct it').click();
  const correct = new EventForm(page, 'correct-form');
  await correct.form.locator('[name="reason"]').fill('wrong release number');
  await correct.fill({ release: `${release}x` });
  await correct.form.getByRole('button', { name: 'Correct this event' }).click();
  await expect(page.locator('main p.notice[role="status"]').last()).toContainText(`${DIST} ${release}x entered branched`);
  expect((await jsonStates(request, DIST))[release]).toBeUndefined();
  expect((await jsonStates(request, DIST))[`${release}x`]).toEqual(['branched']);
  const old = await (await request.get(`/api/v1/events/${oldId}`)).json();
  expect(old.retraction.reason).toBe('wrong release number');
  const newId = old.corrected_by as number;

  // Retract the correction.
  await event.goto(newId);
  await expect(page.locator('main')).toContainText(`This event corrects event #${oldId}`);
  await page.getByText('Retract it').click();
  await page.locator('form#retract-form [name="reason"]').fill('recorded by mistake');
  await page.getByRole('button', { name: 'Retract this event' }).click();
  await expect(page.locator('form#retract-form ~ p.notice')).toContainText('Retracted');
  await event.goto(newId);
  await expect(event.retraction).toContainText('recorded by mistake');
  expect((await jsonStates(request, DIST))[`${release}x`]).toBeUndefined();

  await signOut(page);
  await record.goto(401);
  await expect(page.locator('main')).toContainText('Sign in as a release engineer');
});

test('a field error appears next to the field and keeps what was typed', async ({ page, problems }) => {
  await signIn(page, 'editor');
  const record = new RecordPage(page);
  await record.goto();
  problems.expectStatus('/ui/record_event', 422);
  await record.form.fill({ dist: DIST, release: uniqueRelease('bad'), state: 'branched', when: '2999-01-01T00:00', note: 'keep me' });
  await record.submit.click();
  await expect(record.form.errorOf('at')).toContainText('lies more than five minutes in the future');
  await expect(record.form.form.locator('[name="note"]')).toHaveValue('keep me');
  await expect(record.form.form.locator('[name="at"]')).toHaveAttribute('aria-invalid', 'true');
});

test('a signed-in non-editor sees why and cannot record', async ({ page }) => {
  await signIn(page, 'viewer');
  await expect(page.getByRole('link', { name: 'Record an event' })).toHaveCount(0);
  const record = new RecordPage(page);
  await record.goto(403);
  await expect(page.locator('main')).toContainText('You are signed in as viewer, who is not in an editor group (releng)');
  await expect(record.submit).toHaveCount(0);
});

/// Makes a personal token on /account/tokens by typing, as a person does;
/// returns the secret the page shows once.
async function createToken(page: import('@playwright/test').Page, name: string): Promise<string> {
  await page.goto('/account/tokens');
  await page.getByLabel('Name').pressSequentially(name);
  await page.getByLabel('Expires after (days)').fill('7');
  await page.getByRole('button', { name: 'Create token' }).press('Enter');
  const notice = page.locator('main p.notice');
  await expect(notice).toContainText(`Created token editor/${name}. Copy it now, it is not shown again:`);
  const secret = (await notice.locator('code.secret').textContent()) ?? '';
  expect(secret).toMatch(/^rt_[0-9a-f]{64}$/);
  return secret;
}

async function tokenWrites(request: import('@playwright/test').APIRequestContext, secret: string, release: string) {
  const r = await request.post('/api/v1/events', {
    headers: { authorization: `Bearer ${secret}` },
    data: { dist: DIST, release, state: 'beta-freeze', reached: true, at: '2026-01-05T10:00:00Z' },
  });
  expect(r.status()).toBe(201);
  expect((await r.json()).recorded_by).toMatch(/^editor\//);
}

test('an editor makes a personal API token, sees its secret once and it writes', async ({ page, request }) => {
  await signIn(page, 'editor');
  const name = uniqueRelease('js-token');
  const secret = await createToken(page, name);
  await tokenWrites(request, secret, uniqueRelease('js-token'));
  await page.reload();
  await expect(page.locator('main')).toContainText(`editor/${name}`);
  await expect(page.locator('code.secret')).toHaveCount(0);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a personal token is shown once after the redirect, and writes', async ({ page, request }) => {
    await signIn(page, 'editor');
    const name = uniqueRelease('nojs-token');
    const secret = await createToken(page, name);
    expect(new URL(page.url()).pathname).toBe('/account/tokens');
    await tokenWrites(request, secret, uniqueRelease('nojs-token'));
    await page.reload();
    await expect(page.locator('main')).toContainText(`editor/${name}`);
    await expect(page.locator('code.secret')).toHaveCount(0);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).not.toContain('releasetracker_new_token');
  });

  test('forms post, show errors with the typed values, and redirect on success', async ({ page, request }) => {
    await signIn(page, 'editor');
    const record = new RecordPage(page);
    await record.goto();
    const release = uniqueRelease('nojs');
    await record.form.fill({ dist: DIST, release, state: 'beta-freeze', when: '2999-01-01T00:00', note: 'no script' });
    await record.submit.click();
    await page.waitForURL('**/events/new');
    await expect(record.form.errorOf('at')).toContainText('lies more than five minutes in the future');
    await expect(record.form.form.locator('[name="release"]')).toHaveValue(release);
    await expect(record.form.form.locator('[name="note"]')).toHaveValue('no script');

    await record.form.fill({ when: '2026-01-05T10:00' });
    await record.submit.click();
    await page.waitForURL(/\/events\/\d+$/);
    await expect(page.locator('main p.notice')).toContainText(`Recorded: ${DIST} ${release} entered beta-freeze`);
    expect((await jsonStates(request, DIST))[release]).toEqual(['beta-freeze']);
  });
});
