//! The loopback OpenID provider of `end2end/oidc/provider.mjs` (npm
//! `oidc-provider`, Fedora-like: issuer path `/openidc/`, groups from
//! UserInfo, `client_secret_post` only), and a browser stand-in that logs
//! in through it over plain HTTP.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLIENT_ID: &str = "releasetracker";
pub const CLIENT_SECRET: &str = "test-secret";

/// A running provider, stopped when dropped.
pub struct Provider {
    pub issuer: String,
    _child: Child,
}

fn end2end() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end")
}

impl Provider {
    /// Starts one that sends the browser back to `redirect_uri`; `None`
    /// (said loudly) when node or its package is missing, a failure with
    /// `CI=true`.
    pub async fn start(redirect_uri: &str, extra: &[&str]) -> Option<Self> {
        let script = end2end().join("oidc/provider.mjs");
        if !end2end().join("node_modules/oidc-provider").is_dir() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("the OpenID provider needs `npm ci` in end2end/ (CI=true)");
            }
            eprintln!("SKIPPED: no end2end/node_modules/oidc-provider; run `npm ci` in end2end/");
            return None;
        }
        // A node that has not said it is ready after 30 s is replaced: on
        // the shared CI machine one start in a few dozen hung (not slow: a
        // 90 s wait did not help), while a second one starts at once.
        let mut attempts = 0;
        let (child, line) = loop {
            attempts += 1;
            let mut child = Command::new("node")
                .arg(&script)
                .args(["--redirect-uri", redirect_uri, "--no-sso"])
                .args(extra)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("node runs");
            let stdout = child.stdout.take().expect("stdout");
            let mut lines = BufReader::new(stdout).lines();
            match tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line()).await {
                Ok(line) => break (child, line.expect("read").expect("a ready line")),
                Err(_) if attempts < 3 => eprintln!("the OpenID provider did not start within 30 s; starting another"),
                Err(_) => panic!("the OpenID provider did not start in {attempts} attempts of 30 s"),
            }
        };
        let issuer = line.strip_prefix("ready ").expect("`ready <issuer>`").to_owned();
        Some(Self { issuer, _child: child })
    }
}

/// Logs `user` in at the provider, starting from the authorization URL our
/// `/login` redirected to; returns the callback URL the provider sends the
/// browser back to (with `code` and `state`).
pub async fn sign_in_at_provider(authorize_url: &str, user: &str) -> String {
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    let mut url = authorize_url.to_owned();
    let mut form_posted = false;
    for _ in 0..10 {
        let cookie = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let response = if url.contains("/interaction/") && !form_posted && !url.ends_with("/login") {
            // The login page: post its form.
            let page = http.get(&url).header("cookie", &cookie).send().await.unwrap();
            remember(&mut jar, &page);
            assert_eq!(page.status(), 200, "login page");
            form_posted = true;
            let cookie = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            http.post(format!("{url}/login"))
                .header("cookie", cookie)
                .form(&[("login", user), ("password", "password")])
                .send()
                .await
                .unwrap()
        } else {
            http.get(&url).header("cookie", &cookie).send().await.unwrap()
        };
        remember(&mut jar, &response);
        let location = response
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("no redirect from {url}: {}", response.status()))
            .to_str()
            .unwrap()
            .to_owned();
        let next = reqwest_join(&url, &location);
        if !next.contains("/openidc/") {
            return next;
        }
        url = next;
    }
    panic!("the provider did not send the browser back");
}

fn remember(jar: &mut BTreeMap<String, String>, response: &openidconnect::reqwest::Response) {
    for value in response.headers().get_all("set-cookie") {
        if let Some((pair, _)) =
            value.to_str().unwrap_or_default().split_once(';').or(Some((value.to_str().unwrap_or_default(), "")))
        {
            if let Some((k, v)) = pair.split_once('=') {
                jar.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }
}

fn reqwest_join(base: &str, location: &str) -> String {
    url::Url::parse(base).unwrap().join(location).unwrap().to_string()
}
