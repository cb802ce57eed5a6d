//! Flags of browser logins: the public address, the OpenID provider, the
//! editor groups and session lifetimes, and their checked form
//! ([`AuthSettings`]).

use std::time::Duration;

use clap::{Args, ValueEnum};
use url::Url;

/// Where a browser login starts (`GET`), relative to the public URL.
pub const LOGIN_PATH: &str = "/login";

/// Where the identity provider sends the browser back, relative to the
/// public URL (registered with the provider as the redirect URI).
pub const CALLBACK_PATH: &str = "/auth/callback";

/// The scopes Fedora's provider needs to hand out `nickname` and `groups`.
pub const FEDORA_SCOPES: &str = "openid profile https://id.fedoraproject.org/scope/groups";

/// Flags of `serve` about logins.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// The address people reach this server at, e.g.
    /// `https://releases.fedoraproject.org` (behind a proxy: the proxy's
    /// URL, a path prefix is kept): the OpenID redirect URI, the origin
    /// CSRF checks compare with, whether cookies are `Secure`, and the start
    /// of absolute links in the Atom feed and the calendar. An http(s) URL
    /// without query or fragment. Default: `http://` and the bind address.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<Url>,

    /// OpenID Connect issuer, e.g. `https://id.fedoraproject.org/openidc/`
    /// (exactly as the provider spells it). Login is off without it.
    #[arg(long, env = "OIDC_ISSUER_URL")]
    pub oidc_issuer_url: Option<Url>,

    /// Client id registered at the provider.
    #[arg(long, env = "OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// Client secret registered at the provider.
    #[arg(long, env = "OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// Scopes to ask for, separated by spaces.
    #[arg(long, env = "OIDC_SCOPES", default_value = FEDORA_SCOPES)]
    pub oidc_scopes: String,

    /// How the client authenticates at the token endpoint (Fedora's
    /// clients are registered for `client_secret_post`).
    #[arg(long, env = "OIDC_CLIENT_AUTH", value_enum, default_value_t = ClientAuth::Post)]
    pub oidc_client_auth: ClientAuth,

    /// Groups whose members may edit, separated by commas.
    #[arg(long, env = "EDITOR_GROUPS", default_value = "releng")]
    pub editor_groups: String,

    /// A session ends after this long without a request, e.g. `8h`, `30m`.
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", default_value = "8h", value_parser = humantime::parse_duration)]
    pub session_idle_timeout: Duration,

    /// A session ends this long after login, however busy, e.g. `7d`.
    #[arg(long, env = "SESSION_LIFETIME", default_value = "7d", value_parser = humantime::parse_duration)]
    pub session_lifetime: Duration,

    /// Personal API tokens write only while their owner's editor status
    /// was confirmed by a sign-in at most this long ago, e.g. `30d`: group
    /// membership is read at sign-in, so someone who left the editor
    /// groups keeps no write access through old tokens.
    #[arg(long, env = "EDITOR_CONFIRMATION", default_value = "30d", value_parser = humantime::parse_duration)]
    pub editor_confirmation: Duration,
}

/// Client authentication at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientAuth {
    /// `client_secret_post`: id and secret in the form body.
    Post,
    /// `client_secret_basic`: HTTP Basic authentication.
    Basic,
}

/// The provider settings, all present.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// Issuer URL as configured.
    pub issuer: Url,
    /// Client id.
    pub client_id: String,
    /// Client secret (never logged).
    pub client_secret: String,
    /// Scopes to request (`openid` always included).
    pub scopes: Vec<String>,
    /// Token endpoint authentication.
    pub client_auth: ClientAuth,
}

/// Checked login settings.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Public base URL (`--public-url`): http(s), no query or fragment,
    /// its path ends with `/` so that relative links join below it.
    pub public_url: Url,
    /// The provider, when login is configured.
    pub oidc: Option<OidcSettings>,
    /// Groups whose members may edit.
    pub editor_groups: Vec<String>,
    /// Idle timeout of a session.
    pub idle_timeout: Duration,
    /// Absolute lifetime of a session.
    pub lifetime: Duration,
    /// How recent the sign-in that confirmed a token owner's editor status
    /// must be for their personal tokens to write.
    pub editor_confirmation: Duration,
}

/// The default of [`AuthSettings::editor_confirmation`]: 30 days.
pub const DEFAULT_EDITOR_CONFIRMATION: Duration = Duration::from_secs(30 * 24 * 3600);

impl AuthSettings {
    /// Login off, everything else at its default: for tests and tools.
    pub fn without_login(public_url: Url) -> Self {
        Self {
            public_url: with_trailing_slash(public_url),
            oidc: None,
            editor_groups: vec!["releng".into()],
            idle_timeout: Duration::from_secs(8 * 3600),
            lifetime: Duration::from_secs(7 * 24 * 3600),
            editor_confirmation: DEFAULT_EDITOR_CONFIRMATION,
        }
    }

    /// Checks the flags; `bind` gives the default public URL.
    pub fn from_args(args: &AuthArgs, bind: std::net::SocketAddr) -> Result<Self, String> {
        let public_url = match &args.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{bind}/")).map_err(|e| format!("public URL: {e}"))?,
        };
        let public_url = check_public_url(public_url)?;
        if args.public_url.is_none() && bind.ip().is_unspecified() {
            tracing::warn!(
                "no --public-url: logins and the links in the feed and the calendar use {public_url}, which nobody can reach"
            );
        }
        let oidc = match (&args.oidc_issuer_url, &args.oidc_client_id, &args.oidc_client_secret) {
            (None, None, None) => None,
            (Some(issuer), Some(client_id), Some(client_secret)) => {
                let mut scopes: Vec<String> = args.oidc_scopes.split_whitespace().map(str::to_owned).collect();
                if !scopes.iter().any(|s| s == "openid") {
                    scopes.insert(0, "openid".into());
                }
                Some(OidcSettings {
                    issuer: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                    scopes,
                    client_auth: args.oidc_client_auth,
                })
            }
            _ => {
                return Err(
                    "login needs all of OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or none of them)"
                        .into(),
                )
            }
        };
        let editor_groups: Vec<String> =
            args.editor_groups.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect();
        if oidc.is_some() && editor_groups.is_empty() {
            return Err("EDITOR_GROUPS is empty: nobody could edit".into());
        }
        if args.session_idle_timeout.is_zero() || args.session_lifetime < args.session_idle_timeout {
            return Err("SESSION_IDLE_TIMEOUT must be positive and not longer than SESSION_LIFETIME".into());
        }
        if args.editor_confirmation.is_zero() {
            return Err("EDITOR_CONFIRMATION must be positive (e.g. 30d)".into());
        }
        Ok(Self {
            public_url,
            oidc,
            editor_groups,
            idle_timeout: args.session_idle_timeout,
            lifetime: args.session_lifetime,
            editor_confirmation: args.editor_confirmation,
        })
    }

    /// Whether cookies must be `Secure`.
    pub fn https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public origin (`scheme://host[:port]`), as browsers send it in
    /// `Origin`.
    pub fn origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// An absolute URL of a path on this server (`path` starts with `/`,
    /// and lands below the public URL's path).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.public_url.as_str().trim_end_matches('/'), path)
    }
}

/// Checks a public URL: http(s) with a host, no query or fragment (links
/// are made by appending paths to it). Its path is made to end with `/`.
pub fn check_public_url(url: Url) -> Result<Url, String> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("PUBLIC_URL must be an http(s) URL with a host, not `{url}`"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("PUBLIC_URL must not have a query or a fragment, not `{url}`"));
    }
    Ok(with_trailing_slash(url))
}

/// `url` with its path ending in `/` (`https://example.org/rt` →
/// `https://example.org/rt/`), so that `Url::join` stays below it.
fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
    }

    fn settings(args: &[&str]) -> Result<AuthSettings, String> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        AuthSettings::from_args(&cli.auth, "127.0.0.1:3000".parse().unwrap())
    }

    #[test]
    fn defaults_are_fedora_and_login_off() {
        let s = settings(&[]).unwrap();
        assert!(s.oidc.is_none());
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(s.editor_groups, ["releng"]);
        assert_eq!(s.idle_timeout, Duration::from_secs(8 * 3600));
        assert_eq!(s.lifetime, Duration::from_secs(7 * 86400));
        assert!(!s.https());
    }

    #[test]
    fn a_provider_needs_all_three_settings() {
        let issuer = ["--oidc-issuer-url", "https://id.fedoraproject.org/openidc/"];
        assert!(settings(&issuer).unwrap_err().contains("OIDC_CLIENT_ID"));
        let s = settings(&[&issuer[..], &["--oidc-client-id", "rt", "--oidc-client-secret", "s"]].concat()).unwrap();
        let oidc = s.oidc.unwrap();
        assert_eq!(oidc.issuer.as_str(), "https://id.fedoraproject.org/openidc/");
        assert_eq!(oidc.client_auth, ClientAuth::Post);
        assert!(oidc.scopes.contains(&"https://id.fedoraproject.org/scope/groups".to_owned()));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(settings(&["--public-url", "ftp://x/"]).is_err());
        assert!(settings(&["--session-idle-timeout", "9d"]).unwrap_err().contains("SESSION_IDLE_TIMEOUT"));
        assert!(settings(&["--session-lifetime", "soon"]).is_err());
        let https = settings(&["--public-url", "https://releases.example.org"]).unwrap();
        assert!(https.https());
        assert_eq!(https.origin(), "https://releases.example.org");
        assert_eq!(https.absolute("/auth/callback"), "https://releases.example.org/auth/callback");
    }

    #[test]
    fn public_url_is_checked_and_ends_with_a_slash() {
        let url = |u| settings(&["--public-url", u]).map(|s| s.public_url.to_string());
        assert_eq!(url("https://rt.example.org").unwrap(), "https://rt.example.org/");
        assert_eq!(url("https://example.org/rt").unwrap(), "https://example.org/rt/");
        assert_eq!(url("https://example.org/rt/").unwrap(), "https://example.org/rt/");
        assert!(url("https://example.org/?a=1").is_err());
        assert!(url("https://example.org/#top").is_err());
        let cli = Cli::try_parse_from(["x"]).unwrap();
        let default = |bind: &str| AuthSettings::from_args(&cli.auth, bind.parse().unwrap()).unwrap().public_url;
        assert_eq!(default("0.0.0.0:3000").as_str(), "http://0.0.0.0:3000/");
        assert_eq!(default("[::1]:3000").as_str(), "http://[::1]:3000/");
    }

    #[test]
    fn absolute_urls_stay_below_a_path_prefix() {
        let s = settings(&["--public-url", "https://example.org/rt"]).unwrap();
        assert_eq!(s.absolute("/auth/callback"), "https://example.org/rt/auth/callback");
        assert_eq!(s.origin(), "https://example.org");
    }
}
