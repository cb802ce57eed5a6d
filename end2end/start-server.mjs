// Starts releasetracker for the Playwright run (see `webServer` in
// playwright.config.ts): a fresh SQLite database in a new temporary
// directory, one API token for the tests, the real release histories of
// Fedora, Debian and Ubuntu (data/*.csv, via `import-history`), the
// Fedora-like OpenID provider of oidc/provider.mjs (accounts `editor`, in
// releng, and `viewer`, not; password `password`), then the server itself,
// logging in through that provider.
//
// Environment:
//   E2E_PORT        port to listen on (default 3900)
//   E2E_TOKEN_FILE  where to write the API token (default end2end/.e2e-token)
//   E2E_SERVER_BIN  server binary (default target/debug/releasetracker)
//   E2E_SITE_ROOT   built site (default target/site)
//   E2E_KEEP_DB     if set, keep the temporary directory after the run
//
// Paths are relative to the repository root; Playwright starts this script
// with the repository root as its working directory.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');

const port = process.env.E2E_PORT || '3900';
const tokenFile = resolve(process.env.E2E_TOKEN_FILE || join(here, '.e2e-token'));
const bin = resolve(repoRoot, process.env.E2E_SERVER_BIN || 'target/debug/releasetracker');
const siteRoot = resolve(repoRoot, process.env.E2E_SITE_ROOT || 'target/site');

function fail(message) {
  console.error(`[e2e] ${message}`);
  process.exit(1);
}

if (!existsSync(bin)) fail(`no server binary at ${bin}: run \`cargo leptos build\` in ${repoRoot} first`);
if (!existsSync(join(siteRoot, 'pkg'))) fail(`no ${siteRoot}/pkg: run \`cargo leptos build\` in ${repoRoot} first`);

// Never read a token left over from an earlier run.
rmSync(tokenFile, { force: true });

const dir = mkdtempSync(join(tmpdir(), 'releasetracker-e2e-'));
const database = `sqlite://${join(dir, 'e2e.db')}`;
console.log(`[e2e] database ${database}`);

function cleanup() {
  rmSync(tokenFile, { force: true });
  if (!process.env.E2E_KEEP_DB) rmSync(dir, { recursive: true, force: true });
}

// Settings from the caller's environment must not leak into the run.
const env = { ...process.env };
for (const name of ['DATABASE_URL', 'LEPTOS_SITE_ADDR', 'LEPTOS_SITE_ROOT', 'LOG_FORMAT', 'PUBLIC_URL', 'OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'EDITOR_GROUPS', 'WEBHOOK_KEY', 'WEBHOOK_ALLOW_PRIVATE', 'WEBHOOK_RETRY_SCHEDULE']) delete env[name];

let token;
try {
  const out = execFileSync(bin, ['--database', database, 'token', 'create', '--name', 'e2e'], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  token = out.trim().split('\n').pop().trim();
} catch (err) {
  cleanup();
  fail(`\`releasetracker token create\` failed: ${err.message}`);
}
if (!token) {
  cleanup();
  fail('`releasetracker token create` printed no token');
}
writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

// The real histories, so that the pages show what they show in production.
// `import-history` prints its summary on stderr, passed on to the log.
const histories = [
  ['fedora', 'data/fedora-releases.csv'],
  ['debian', 'data/debian.csv'],
  ['ubuntu', 'data/ubuntu.csv'],
];
for (const [dist, file] of histories) {
  if (!existsSync(resolve(repoRoot, file))) {
    cleanup();
    fail(`no ${file} in ${repoRoot}: cannot import the ${dist} history`);
  }
  try {
    execFileSync(bin, ['--database', database, 'import-history', dist, file], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (err) {
    cleanup();
    fail(`\`releasetracker import-history ${dist} ${file}\` failed: ${err.message}`);
  }
}

// The identity provider; the server is started once it is listening. A
// provider that has not said `ready` within PROVIDER_READY_MS is replaced
// (a clean CI run once saw one hang after its start-up warning, which cost
// the whole end-to-end run); after PROVIDER_TRIES the start fails.
const publicUrl = `http://127.0.0.1:${port}/`;
const PROVIDER_READY_MS = 30_000;
const PROVIDER_TRIES = 3;
function startProvider() {
  const child = spawn(
    process.execPath,
    [join(here, 'oidc', 'provider.mjs'), '--redirect-uri', `${publicUrl}auth/callback`, '--no-sso'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = new Promise((resolveIssuer, rejectStart) => {
    let buffer = '';
    const timer = setTimeout(() => rejectStart(new Error(`not ready within ${PROVIDER_READY_MS} ms`)), PROVIDER_READY_MS);
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.startsWith('ready '));
      if (line) {
        clearTimeout(timer);
        resolveIssuer(line.slice('ready '.length).trim());
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`exited (${code}) before it was ready`));
    });
  });
  return { child, ready };
}
let provider;
let issuer;
for (let attempt = 1; !issuer; attempt++) {
  const started = startProvider();
  try {
    issuer = await started.ready;
    provider = started.child;
  } catch (err) {
    started.child.removeAllListeners('exit');
    started.child.kill('SIGKILL');
    if (attempt >= PROVIDER_TRIES) {
      cleanup();
      fail(`the OpenID provider ${err.message}, ${attempt} times`);
    }
    console.log(`[e2e] the OpenID provider ${err.message}; starting another (${attempt + 1}/${PROVIDER_TRIES})`);
  }
}
provider.on('exit', (code) => {
  cleanup();
  fail(`the OpenID provider exited (${code})`);
});
console.log(`[e2e] OpenID provider ${issuer}`);

const server = spawn(
  bin,
  ['--database', database, 'serve', '--bind', `127.0.0.1:${port}`, '--site-root', siteRoot],
  {
    cwd: repoRoot,
    env: {
      ...env,
      PUBLIC_URL: publicUrl,
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: 'releasetracker',
      OIDC_CLIENT_SECRET: 'test-secret',
      EDITOR_GROUPS: 'releng',
      // Parallel workers sign in and write from one address, many times a
      // minute: the per-client limits are for the wild, not for this run
      // (server/tests/limits.rs tests them).
      WRITE_RATE_LIMIT: '0',
      TOKEN_WRITE_RATE_LIMIT: '0',
      LOGIN_RATE_LIMIT: '0',
      // Webhooks on, to receivers the tests run on loopback, retried
      // within seconds (end2end/tests/webhooks.spec.ts).
      WEBHOOK_KEY: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
    },
    stdio: 'inherit',
  },
);

// Playwright stops the web server with a signal: pass it on, and leave
// once the server is gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    provider.removeAllListeners('exit');
    server.kill(signal);
    provider.kill('SIGTERM');
  });
}
server.on('error', (err) => {
  cleanup();
  fail(`could not start ${bin}: ${err.message}`);
});
server.on('exit', (code, signal) => {
  provider.removeAllListeners('exit');
  provider.kill('SIGTERM');
  cleanup();
  if (signal) console.log(`[e2e] server stopped by ${signal}`);
  process.exit(code ?? 0);
});
