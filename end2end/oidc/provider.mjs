#!/usr/bin/env node
// A real OpenID Connect provider on loopback, laid out like Fedora's
// (Ipsilon at https://id.fedoraproject.org/openidc/), for the releasetracker
// tests. Built on the OpenID-certified npm package `oidc-provider`.
// See README.md in this folder for the interface and the login flow.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

// oidc-provider prints its notices with console.info (stdout). stdout carries
// exactly one line, `ready <issuer>`, so everything else goes to stderr.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const GROUPS_SCOPE = 'https://id.fedoraproject.org/scope/groups';
const PASSWORD = 'password';

function usage(message) {
  if (message) process.stderr.write(`provider.mjs: ${message}\n`);
  process.stderr.write(`usage: node end2end/oidc/provider.mjs --redirect-uri URI [--redirect-uri URI ...]
  [--port N] [--client-id ID] [--client-secret S] [--post-logout-redirect-uri URI]
  [--account nickname:sub:group1,group2 ...] [--amr-string] [--no-sso]
`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'client-id': { type: 'string', default: 'releasetracker' },
      'client-secret': { type: 'string', default: 'test-secret' },
      'redirect-uri': { type: 'string', multiple: true, default: [] },
      'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
      account: { type: 'string', multiple: true, default: [] },
      'amr-string': { type: 'boolean', default: false },
      'no-sso': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  usage(err.message);
}
if (args.help) usage();
if (!args['redirect-uri'].length) usage('at least one --redirect-uri is required');
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad --port ${args.port}`);

// ---------------------------------------------------------------- accounts
const accounts = new Map(); // nickname -> account
function addAccount({ nickname, sub, name, email, groups }) {
  for (const other of accounts.values()) {
    if (other.sub === sub && other.nickname !== nickname) usage(`duplicate sub ${sub}`);
  }
  accounts.set(nickname, {
    nickname,
    sub,
    name: name ?? nickname,
    email: email ?? `${nickname}@example.org`,
    groups,
  });
}
addAccount({ nickname: 'editor', sub: '1001', name: 'Ed Itor', groups: ['releng', 'packager'] });
addAccount({ nickname: 'viewer', sub: '1002', name: 'Vi Ewer', groups: ['packager'] });
addAccount({ nickname: 'spoof', sub: '1003', name: 'Spoof', groups: ['releng-not'] });
for (const spec of args.account) {
  const m = /^([^:\s]+):([^:\s]+):(.*)$/.exec(spec);
  if (!m) usage(`bad --account ${spec} (want nickname:sub:group1,group2)`);
  const groups = m[3].split(',').map((g) => g.trim()).filter(Boolean);
  addAccount({ nickname: m[1], sub: m[2], groups });
}
const accountsBySub = new Map([...accounts.values()].map((a) => [a.sub, a]));

function log(...parts) {
  process.stderr.write(`[oidc] ${parts.join(' ')}\n`);
}

// ------------------------------------------------------------- the server
// Listen first (port 0 = the OS picks), then build the provider: the issuer
// contains the port.
const server = createServer();
try {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
} catch (err) {
  process.stderr.write(`provider.mjs: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(1);
}
const actualPort = server.address().port;
const MOUNT = '/openidc';
const issuer = `http://127.0.0.1:${actualPort}${MOUNT}/`;

// Imported late so that its notices already go to stderr. It warns that
// Node 20 is unsupported; it works.
const { default: Provider, interactionPolicy } = await import('oidc-provider');

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const policy = interactionPolicy.base();
if (args['no-sso']) {
  // Every authorization request shows the login form, even when the browser
  // still has a provider session.
  policy.get('login').checks.unshift(new interactionPolicy.Check(
    'no_sso',
    'this test provider logs in again on every authorization request (--no-sso)',
    (ctx) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT),
  ));
}

const cookieOptions = { httpOnly: true, sameSite: 'lax', secure: false, signed: false };

const configuration = {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['post-logout-redirect-uri'],
    token_endpoint_auth_method: 'client_secret_post',
    response_types: ['code'],
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: 'RS256',
    application_type: 'web',
  }],
  // Like Ipsilon, discovery offers both; the client is registered for
  // client_secret_post only and Basic auth is refused below.
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  jwks: { keys: [signingKey] },
  scopes: ['openid', 'profile', 'email', GROUPS_SCOPE],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: args['amr-string'] ? ['sub', 'amr'] : ['sub'],
    profile: ['name', 'nickname', 'preferred_username'],
    email: ['email', 'email_verified'],
    [GROUPS_SCOPE]: ['groups'],
  },
  // Scope claims go to UserInfo only; the ID token has sub and the protocol
  // claims (iss, aud, exp, iat, auth_time, nonce, sid, at_hash), like Fedora's.
  conformIdTokenClaims: true,
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The defaults load a web font from fonts.googleapis.com; these pages
      // are self-contained and keep the default button texts.
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Log out - test OpenID provider', `<h1>Log out of the test OpenID provider?</h1>
${form}
<p><button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></p>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Logged out - test OpenID provider', '<h1>Sign-out Success</h1>\n<p>You are logged out of the test OpenID provider.</p>');
      },
    },
    introspection: { enabled: false },
    revocation: { enabled: false },
  },
  pkce: { required: () => true },
  responseTypes: ['code'],
  findAccount(ctx, sub) {
    const account = accountsBySub.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: account.name,
          nickname: account.nickname,
          preferred_username: account.nickname,
          email: account.email,
          email_verified: true,
          groups: [...account.groups],
        };
      },
    };
  },
  // No consent page: the client is first party, every requested scope and
  // claim is granted as soon as the user has logged in.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const accountId = oidc.account.accountId;
    const clientId = oidc.client.clientId;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
      grant = new oidc.provider.Grant({ accountId, clientId });
    }
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `${MOUNT}/interaction/${interaction.uid}`,
  },
  cookies: {
    // Cookies are per host, not per port: on 127.0.0.1 the relying party and
    // this provider share one cookie jar, so use names no app would pick.
    names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
    long: { ...cookieOptions },
    short: { ...cookieOptions },
    keys: [],
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    Grant: 24 * 3600,
  },
  async renderError(ctx, out, error) {
    log('error page:', JSON.stringify(out), error?.message ?? '');
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1>\n<p role="alert">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

// Fedora's clients are client_secret_post; refuse Basic auth outright so a
// test can prove the relying party sends the secret in the body.
provider.use(async (ctx, next) => {
  const auth = ctx.get('authorization');
  if (/^basic\s/i.test(auth)) {
    log('refusing Basic client authentication on', ctx.method, ctx.path);
    ctx.status = 401;
    ctx.set('WWW-Authenticate', `Basic realm="${issuer}", error="invalid_client"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      error: 'invalid_client',
      error_description: 'client authentication failed: this client is registered for client_secret_post, not client_secret_basic',
    };
    return;
  }
  await next();
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'end_session.error', 'discovery.error']) {
  provider.on(event, (ctx, err) => log(event, err?.name ?? '', err?.message ?? '', err?.error_description ?? ''));
}

// ---------------------------------------------------------- login page
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage(uid, details, { error, login } = {}) {
  const clientId = details.params?.client_id ?? '';
  const scope = details.params?.scope ?? '';
  return page('Log in - test OpenID provider', `<h1>Log in</h1>
<p>Test OpenID provider (Fedora-like) for <code>${esc(clientId)}</code>, scope <code>${esc(scope)}</code>.</p>
${error ? `<p role="alert" id="error">${esc(error)}</p>\n` : ''}<form method="post" action="${MOUNT}/interaction/${esc(uid)}/login">
<p><label for="login">Username</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" required value="${esc(login ?? '')}"></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>`);
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    log('interaction', uid, err.name, err.message);
    send(res, 400, page('Error', `<h1>Error</h1>\n<p role="alert">Login session not found or expired (${esc(err.message)}). Start the login again from the application.</p>`));
    return;
  }
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<h1>Error</h1>\n<p role="alert">Login session mismatch. Start the login again from the application.</p>'));
    return;
  }
  const prompt = details.prompt.name;

  if (prompt !== 'login') {
    // Consent (should not happen, grants are automatic): grant everything.
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (details.grantId) {
      const existing = await provider.Grant.find(details.grantId);
      if (existing) Object.assign(grant, existing);
    }
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    log('interaction', uid, 'auto-consent');
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  if (action === 'show' && req.method === 'GET') {
    send(res, 200, loginPage(uid, details));
    return;
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const login = (form.get('login') ?? '').trim();
    const password = form.get('password') ?? '';
    const account = accounts.get(login);
    if (!account || password !== PASSWORD) {
      log('interaction', uid, 'failed login for', JSON.stringify(login));
      send(res, 401, loginPage(uid, details, { error: 'Invalid username or password.', login }));
      return;
    }
    log('interaction', uid, 'login', account.nickname, `(sub ${account.sub})`);
    if (details.session?.accountId && details.session.accountId !== account.sub) {
      // Another user logs in while the browser still has a provider session
      // (--no-sso, prompt=login). oidc-provider would then answer with an
      // auto-submitting logout form (inline script); end the old session
      // here instead, so the redirect chain stays plain.
      log('interaction', uid, `ending the previous session of sub ${details.session.accountId}`);
      const old = details.session.cookie ? await provider.Session.find(details.session.cookie) : undefined;
      if (old) await old.destroy();
      details.session = undefined;
      await details.save(Math.max(1, details.exp - Math.floor(Date.now() / 1000)));
    }
    const result = {
      login: {
        accountId: account.sub,
        remember: true,
        // What an older Ipsilon sends: the JSON *string* "[]".
        ...(args['amr-string'] ? { amr: '[]' } : {}),
      },
    };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  res.statusCode = 405;
  res.setHeader('Allow', action === 'login' ? 'POST' : 'GET');
  res.end();
}

const callback = provider.callback();

server.on('request', (req, res) => {
  const started = Date.now();
  const original = req.url;
  res.on('finish', () => {
    log(req.method, original, res.statusCode, res.getHeader('location') ? `-> ${res.getHeader('location')}` : '', `${Date.now() - started}ms`);
  });
  const path = original.split('?')[0];
  const m = /^\/openidc\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(path);
  if (m) {
    interaction(req, res, m[1], m[2] ? 'login' : 'show').catch((err) => {
      log('interaction error', err.stack ?? err);
      if (!res.headersSent) send(res, 500, page('Error', '<h1>Error</h1>\n<p role="alert">Internal error in the test provider.</p>'));
      else res.end();
    });
    return;
  }
  if (path === MOUNT || path.startsWith(`${MOUNT}/`)) {
    // Mount oidc-provider under /openidc: it routes on the stripped path and
    // derives its public URLs from originalUrl.
    req.originalUrl = original;
    req.url = original.slice(MOUNT.length) || '/';
    callback(req, res);
    return;
  }
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`not found; the issuer is ${issuer}\n`);
});

function shutdown(signal) {
  log(`${signal}: exiting`);
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

log(`client ${args['client-id']} (client_secret_post), redirect URIs ${args['redirect-uri'].join(' ')}`);
log(`accounts ${[...accounts.values()].map((a) => `${a.nickname}(${a.sub}:${a.groups.join(',')})`).join(' ')}, password "${PASSWORD}"`);
if (args['amr-string']) log('ID tokens carry "amr": "[]" (a JSON string)');
process.stdout.write(`ready ${issuer}\n`);
