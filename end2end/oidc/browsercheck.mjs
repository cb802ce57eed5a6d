#!/usr/bin/env node
// Checks that provider.mjs's login works in a real browser (Debian's
// chromium through playwright-core), as the Playwright tests will use it:
// open the authorization URL, fill the form by its labels, click "Sign in",
// land on the redirect_uri with a code. The redirect_uri (127.0.0.1:9) is
// answered by page.route, nothing listens there.
// Run: node end2end/oidc/browsercheck.mjs   (exit 0 = ok, 1 = failure,
// 77 = skipped because /usr/bin/chromium is missing and CI is not set)

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const REDIRECT_URI = 'http://127.0.0.1:9/cb';

if (!existsSync(CHROMIUM)) {
  process.stderr.write(`browsercheck: SKIPPED: no ${CHROMIUM}\n`);
  process.exit(process.env.CI === 'true' ? 1 : 77);
}

const { chromium } = await import('playwright-core');
const b64url = (buf) => Buffer.from(buf).toString('base64url');

const child = spawn(process.execPath, [join(here, 'provider.mjs'), '--redirect-uri', REDIRECT_URI], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const issuer = await new Promise((resolve, reject) => {
  createInterface({ input: child.stdout }).once('line', (line) => resolve(line.replace(/^ready /, '')));
  child.once('exit', (code) => reject(new Error(`provider exited (${code})`)));
});

let browser;
let status = 0;
try {
  const discovery = await (await fetch(`${issuer}.well-known/openid-configuration`)).json();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext();
  const page = await context.newPage();
  let callback;
  await page.route(`${REDIRECT_URI}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' });
  });

  async function login(user, password) {
    const state = b64url(randomBytes(16));
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'releasetracker',
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile https://id.fedoraproject.org/scope/groups',
      state,
      nonce: b64url(randomBytes(16)),
      code_challenge: b64url(createHash('sha256').update(b64url(randomBytes(32))).digest()),
      code_challenge_method: 'S256',
    }).toString();
    callback = undefined;
    await page.goto(url.href);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');
    return state;
  }

  await login('editor', 'wrong');
  const alert = await page.getByRole('alert').textContent();
  if (!/Invalid username or password/.test(alert ?? '')) throw new Error(`no error message after a wrong password: ${alert}`);
  console.log(`browsercheck: wrong password -> "${alert}"`);

  const state = await login('editor', 'password');
  await page.waitForURL(`${REDIRECT_URI}**`);
  if (!callback?.searchParams.get('code') || callback.searchParams.get('state') !== state) {
    throw new Error(`no code/state at the redirect_uri: ${callback}`);
  }
  const cookies = (await context.cookies()).map((c) => `${c.name} (path ${c.path})`).join(', ');
  console.log(`browsercheck: Chromium reached ${callback.origin}${callback.pathname} with a code; cookies: ${cookies}`);
  console.log('browsercheck: PASS');
} catch (err) {
  process.stderr.write(`browsercheck: FAIL: ${err.stack ?? err}\n`);
  status = 1;
} finally {
  await browser?.close();
  child.kill('SIGTERM');
}
process.exit(status);
