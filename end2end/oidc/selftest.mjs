#!/usr/bin/env node
// Self-test of provider.mjs: drives the full authorization-code + PKCE flow
// over plain HTTP with a tiny cookie jar, the way a relying party and a
// browser would, without a browser. Run: node end2end/oidc/selftest.mjs
// Exits 0 when everything holds, 1 with a message otherwise.

import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const POST_LOGOUT_URI = 'http://127.0.0.1:9/loggedout';
const CLIENT_ID = 'releasetracker';
const CLIENT_SECRET = 'test-secret';
const GROUPS_SCOPE = 'https://id.fedoraproject.org/scope/groups';

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}
function say(message) {
  process.stdout.write(`selftest: ${message}\n`);
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// ----------------------------------------------------------- provider
async function startProvider(extraArgs = []) {
  const child = spawn(process.execPath, [
    join(here, 'provider.mjs'),
    '--redirect-uri', REDIRECT_URI,
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.on('data', (d) => stderr.push(d));
  const lines = createInterface({ input: child.stdout });
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Failure('provider did not print "ready" within 15 s')), 15000);
    let first = true;
    lines.on('line', (line) => {
      if (first) {
        first = false;
        clearTimeout(timer);
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+\/openidc\/)$/.exec(line);
        if (m) resolve(m[1]);
        else reject(new Failure(`unexpected first stdout line: ${JSON.stringify(line)}`));
      } else {
        reject(new Failure(`provider printed more than one line on stdout: ${JSON.stringify(line)}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Failure(`provider exited early (${code}): ${Buffer.concat(stderr).toString()}`));
    });
  });
  return {
    issuer,
    child,
    stderr: () => Buffer.concat(stderr).toString(),
    async stop() {
      const t0 = Date.now();
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGTERM');
      const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 3000));
      const result = await Promise.race([exited, timeout]);
      if (!result) {
        child.kill('SIGKILL');
        throw new Failure('provider did not exit within 3 s of SIGTERM');
      }
      return { ...result, ms: Date.now() - t0 };
    },
  };
}

// --------------------------------------------------------- cookie jar
class CookieJar {
  cookies = new Map(); // `${name};${path}` -> {name, value, path}

  store(url, response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  names() {
    return [...new Set([...this.cookies.values()].map((c) => c.name))].sort();
  }
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
}

// Follows redirects like a browser would, but stops at the relying party's
// redirect_uri (nothing listens on 127.0.0.1:9) and returns that URL.
async function follow(jar, response, url) {
  for (let hops = 0; hops < 10; hops += 1) {
    if (response.status < 300 || response.status >= 400) return { response, url };
    const next = new URL(response.headers.get('location'), url).href;
    if (next.startsWith(REDIRECT_URI)) return { callback: new URL(next) };
    await response.arrayBuffer();
    url = next;
    response = await request(jar, url);
  }
  throw new Failure('too many redirects');
}

function formAction(html, base) {
  const m = /<form[^>]*action="([^"]+)"/.exec(html);
  check(m, 'no form action in the login page');
  return new URL(m[1].replace(/&amp;/g, '&'), base).href;
}

// ---------------------------------------------------------------- JWT
function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    signingInput: Buffer.from(`${h}.${p}`),
    signature: Buffer.from(s, 'base64url'),
  };
}

async function verifyIdToken(jwt, discovery) {
  const token = decodeJwt(jwt);
  check(token.header.alg === 'RS256', `ID token alg is ${token.header.alg}, want RS256`);
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  const jwk = jwks.keys.find((k) => k.kid === token.header.kid);
  check(jwk, `no JWKS key with kid ${token.header.kid}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  check(verify('RSA-SHA256', token.signingInput, key, token.signature), 'ID token signature does not verify');
  return token.payload;
}

// --------------------------------------------------------------- flow
async function authorize(jar, discovery, { scope, login, password = 'password', expectLoginPage = true }) {
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();

  let step = await follow(jar, await request(jar, url.href), url.href);
  if (expectLoginPage) {
    check(!step.callback, `expected the login page, got a redirect to ${step.callback}`);
    const html = await step.response.text();
    check(step.response.status === 200, `login page status ${step.response.status}`);
    check(/<input[^>]*name="login"/.test(html) && /<input[^>]*name="password"/.test(html), 'login page lacks login/password inputs');
    check(/<label for="login">/.test(html) && /<label for="password">/.test(html), 'login page lacks labels');
    check(/<button type="submit">Sign in<\/button>/.test(html), 'login page lacks the "Sign in" button');
    check(!/<script/i.test(html), 'login page has a script');
    const action = formAction(html, step.url);
    say(`login page at ${step.url}, form posts to ${action}; cookies now: ${jar.names().join(', ')}`);

    // Wrong password first: the form again, with an error.
    const bad = await request(jar, action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login, password: 'wrong' }),
    });
    const badHtml = await bad.text();
    check(bad.status === 401, `wrong password: status ${bad.status}, want 401`);
    check(/role="alert"/.test(badHtml) && /Invalid username or password/.test(badHtml), 'wrong password: no error message');
    check(/name="login"/.test(badHtml), 'wrong password: no form');
    say('wrong password -> 401 with the form and an error message');

    const posted = await request(jar, action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login, password }),
    });
    check(posted.status === 303, `login POST status ${posted.status}, want 303`);
    step = await follow(jar, posted, action);
  }
  check(step.callback, `no redirect to the redirect_uri (status ${step.response?.status}: ${step.response && (await step.response.text()).slice(0, 300)})`);
  const params = step.callback.searchParams;
  check(!params.get('error'), `authorization error: ${params.get('error')} ${params.get('error_description')}`);
  check(params.get('state') === state, 'state mismatch');
  check(params.get('iss') === discovery.issuer, `iss parameter ${params.get('iss')}`);
  const code = params.get('code');
  check(code, 'no code');
  say(`redirected to ${step.callback.origin}${step.callback.pathname}?code=…&state=…&iss=…; cookies now: ${jar.names().join(', ')}`);
  return { code, nonce, verifier };
}

async function tokenRequest(discovery, { code, verifier }, { basic = false } = {}) {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;
  } else {
    body.set('client_id', CLIENT_ID);
    body.set('client_secret', CLIENT_SECRET);
  }
  const response = await fetch(discovery.token_endpoint, { method: 'POST', headers, body });
  return { status: response.status, json: await response.json() };
}

async function discover(issuer) {
  const response = await fetch(`${issuer}.well-known/openid-configuration`);
  check(response.status === 200, `discovery status ${response.status}`);
  const discovery = await response.json();
  check(discovery.issuer === issuer, `discovery issuer ${discovery.issuer}, want ${issuer}`);
  check(discovery.scopes_supported.includes(GROUPS_SCOPE), 'groups scope not in scopes_supported');
  for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint']) {
    check(discovery[name]?.startsWith(issuer), `${name} ${discovery[name]} not under the issuer`);
  }
  say(`discovery ok: issuer ${discovery.issuer}, token ${discovery.token_endpoint}, userinfo ${discovery.userinfo_endpoint}`);
  return discovery;
}

async function userinfo(discovery, accessToken) {
  const response = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  check(response.status === 200, `userinfo status ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------- runs
async function runDefault() {
  const provider = await startProvider(['--post-logout-redirect-uri', POST_LOGOUT_URI]);
  try {
    say(`provider ready at ${provider.issuer}`);
    const discovery = await discover(provider.issuer);

    // PKCE is required.
    const noPkce = new URL(discovery.authorization_endpoint);
    noPkce.search = new URLSearchParams({
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: 'openid', state: 's', nonce: 'n',
    }).toString();
    const r = await fetch(noPkce, { redirect: 'manual' });
    const loc = new URL(r.headers.get('location') ?? 'http://x/', noPkce);
    check(loc.href.startsWith(REDIRECT_URI) && loc.searchParams.get('error') === 'invalid_request',
      `authorization without PKCE was not refused: ${r.status} ${loc}`);
    say(`authorization without PKCE -> ${loc.searchParams.get('error')}: ${loc.searchParams.get('error_description')}`);

    const jar = new CookieJar();
    const scope = `openid profile ${GROUPS_SCOPE}`;
    const grant = await authorize(jar, discovery, { scope, login: 'editor' });
    const tokens = await tokenRequest(discovery, grant);
    check(tokens.status === 200, `token endpoint (client_secret_post): ${tokens.status} ${JSON.stringify(tokens.json)}`);
    check(tokens.json.id_token && tokens.json.access_token, 'no id_token/access_token');
    const idt = await verifyIdToken(tokens.json.id_token, discovery);
    check(idt.iss === provider.issuer, `ID token iss ${idt.iss}`);
    check(idt.aud === CLIENT_ID || (Array.isArray(idt.aud) && idt.aud.includes(CLIENT_ID)), `ID token aud ${idt.aud}`);
    check(idt.nonce === grant.nonce, 'ID token nonce mismatch');
    check(idt.sub === '1001', `ID token sub ${idt.sub}`);
    check(!('amr' in idt), 'ID token has amr without --amr-string');
    check(!('groups' in idt) && !('nickname' in idt), 'scope claims leaked into the ID token');
    say(`token exchange (client_secret_post) ok; response fields ${Object.keys(tokens.json).sort().join(', ')}; ID token payload: ${JSON.stringify(idt)}`);

    const info = await userinfo(discovery, tokens.json.access_token);
    check(info.sub === '1001', `userinfo sub ${info.sub}`);
    check(info.nickname === 'editor', `userinfo nickname ${info.nickname}`);
    check(info.preferred_username === 'editor', `userinfo preferred_username ${info.preferred_username}`);
    check(Array.isArray(info.groups) && info.groups.includes('releng'), `userinfo groups ${JSON.stringify(info.groups)}`);
    say(`userinfo: ${JSON.stringify(info)}`);

    // Code is single use.
    const again = await tokenRequest(discovery, grant);
    check(again.status === 400 && again.json.error === 'invalid_grant', `reused code: ${again.status} ${JSON.stringify(again.json)}`);
    say('reusing the code -> invalid_grant');

    // Same cookie jar: the provider session logs in without the form (SSO).
    const sso = await authorize(jar, discovery, { scope, login: 'editor', expectLoginPage: false });
    const basic = await tokenRequest(discovery, sso, { basic: true });
    check(basic.status === 401 && basic.json.error === 'invalid_client',
      `client_secret_basic was not refused: ${basic.status} ${JSON.stringify(basic.json)}`);
    say(`client_secret_basic refused: ${basic.status} ${JSON.stringify(basic.json)}`);
    const post = await tokenRequest(discovery, sso);
    check(post.status === 200, `client_secret_post after refused Basic: ${post.status} ${JSON.stringify(post.json)}`);
    say('the same code still works with client_secret_post');

    // RP-initiated logout ends the provider session: the next login shows the form.
    const endUrl = new URL(discovery.end_session_endpoint);
    endUrl.search = new URLSearchParams({
      id_token_hint: post.json.id_token, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye',
    }).toString();
    const confirm = await request(jar, endUrl.href);
    const confirmHtml = await confirm.text();
    check(confirm.status === 200 && /Yes, sign me out/.test(confirmHtml), `end_session page: ${confirm.status}`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmHtml)?.[1];
    check(xsrf, 'no xsrf field on the logout page');
    const confirmAction = formAction(confirmHtml, endUrl.href);
    const loggedOut = await request(jar, confirmAction, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    const back = new URL(loggedOut.headers.get('location') ?? '', confirmAction);
    check(loggedOut.status === 303 && back.href === `${POST_LOGOUT_URI}?state=bye`, `logout confirm: ${loggedOut.status} ${back}`);
    say(`logout: GET ${endUrl.pathname} -> form, POST ${new URL(confirmAction).pathname} (xsrf, logout=yes) -> 303 ${back}; cookies now: ${jar.names().join(', ')}`);
    const afterLogout = await authorize(jar, discovery, { scope, login: 'editor' });
    check(afterLogout.code, 'no code after logging in again');
    say('after logout the same cookie jar gets the login form again');

    // Without the groups scope there are no groups.
    const jar2 = new CookieJar();
    const plain = await authorize(jar2, discovery, { scope: 'openid profile email', login: 'viewer' });
    const plainTokens = await tokenRequest(discovery, plain);
    const plainInfo = await userinfo(discovery, plainTokens.json.access_token);
    check(plainInfo.nickname === 'viewer' && !('groups' in plainInfo) && plainInfo.email === 'viewer@example.org',
      `userinfo without the groups scope: ${JSON.stringify(plainInfo)}`);
    say(`viewer without the groups scope: userinfo ${JSON.stringify(plainInfo)}`);

    const stopped = await provider.stop();
    say(`SIGTERM -> exited (code ${stopped.code}, signal ${stopped.signal}) in ${stopped.ms} ms`);
  } catch (err) {
    process.stderr.write(`--- provider stderr ---\n${provider.stderr()}\n`);
    provider.child.kill('SIGKILL');
    throw err;
  }
}

async function runAmrString() {
  const provider = await startProvider(['--amr-string', '--account', 'alice:2001:releng,qa', '--no-sso']);
  try {
    say(`provider (--amr-string --account alice:2001:releng,qa --no-sso) ready at ${provider.issuer}`);
    const discovery = await discover(provider.issuer);
    const jar = new CookieJar();
    const scope = `openid profile ${GROUPS_SCOPE}`;
    const grant = await authorize(jar, discovery, { scope, login: 'alice' });
    const tokens = await tokenRequest(discovery, grant);
    check(tokens.status === 200, `token endpoint: ${tokens.status} ${JSON.stringify(tokens.json)}`);
    const idt = await verifyIdToken(tokens.json.id_token, discovery);
    check(idt.amr === '[]', `ID token amr is ${JSON.stringify(idt.amr)}, want the string "[]"`);
    check(idt.nonce === grant.nonce && idt.iss === provider.issuer && idt.sub === '2001', 'ID token iss/nonce/sub');
    say(`--amr-string: signed ID token payload: ${JSON.stringify(idt)}`);
    const info = await userinfo(discovery, tokens.json.access_token);
    check(info.nickname === 'alice' && JSON.stringify(info.groups) === '["releng","qa"]', `userinfo ${JSON.stringify(info)}`);
    say(`--account: userinfo ${JSON.stringify(info)}`);
    // --no-sso: the same cookie jar gets the login form again.
    const second = await authorize(jar, discovery, { scope, login: 'editor' });
    const secondTokens = await tokenRequest(discovery, second);
    check(secondTokens.status === 200, `token endpoint: ${secondTokens.status} ${JSON.stringify(secondTokens.json)}`);
    const secondIdt = await verifyIdToken(secondTokens.json.id_token, discovery);
    const secondInfo = await userinfo(discovery, secondTokens.json.access_token);
    check(secondIdt.sub === '1001' && secondInfo.nickname === 'editor', `after switching users: sub ${secondIdt.sub}, nickname ${secondInfo.nickname}`);
    say('--no-sso: a second authorization with the same cookies showed the login form again; switching alice -> editor gave sub 1001');
    const stopped = await provider.stop();
    say(`SIGTERM -> exited (code ${stopped.code}, signal ${stopped.signal}) in ${stopped.ms} ms`);
  } catch (err) {
    process.stderr.write(`--- provider stderr ---\n${provider.stderr()}\n`);
    provider.child.kill('SIGKILL');
    throw err;
  }
}

try {
  await runDefault();
  await runAmrString();
  say('PASS');
  process.exit(0);
} catch (err) {
  process.stderr.write(`selftest: FAIL: ${err instanceof Failure ? err.message : err.stack}\n`);
  process.exit(1);
}
