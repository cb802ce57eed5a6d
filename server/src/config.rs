//! Command line and environment: every flag of `releasetracker`, with the
//! environment variable that can stand in for it (DESIGN.md §6).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// releasetracker: the source of truth for Linux distribution release cycles.
#[derive(Debug, Parser)]
#[command(name = "releasetracker", version, about)]
pub struct Cli {
    /// Database: `postgres://...`, `sqlite://FILE` or a file path.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://releasetracker.db",
        hide_env_values = true
    )]
    pub database: String,

    /// Log filter, e.g. `info`, `debug`, `releasetracker=debug,sqlx=warn`.
    #[arg(long, global = true, env = "RUST_LOG", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(long, global = true, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
// Parsed once at start: the size of `serve`'s flags does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the people who signed in: disable someone at once.
    #[command(subcommand)]
    User(UserCommand),
    /// Write the whole log to stdout as JSON Lines.
    Export,
    /// Read a JSON Lines file (as written by `export`) into the log: all or nothing.
    Import {
        /// The file; `-` reads stdin.
        file: PathBuf,
    },
    /// Compare Bodhi's releases with the log (states under the
    /// compatibility mapping, end-of-life dates, actual or planned): one
    /// finding per line as JSON; exit status 1 when there are findings
    /// other than Bodhi's expected lag. Reads only; writes nothing.
    Audit {
        /// Bodhi's base URL, e.g. `https://bodhi.fedoraproject.org/`.
        #[arg(long, env = "AUDIT_BODHI_URL")]
        bodhi_url: url::Url,
        /// Compare as of this instant (RFC 3339 or `YYYY-MM-DD`); default now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Turn a public release-history CSV (Fedora's, or distro-info-data's
    /// Debian/Ubuntu) into events; running it again adds only what is missing.
    ImportHistory {
        /// The dist the events belong to, e.g. `fedora`.
        dist: String,
        /// The CSV file, e.g. `data/fedora-releases.csv`.
        file: PathBuf,
    },
    /// Turn a release's published schedule (an iCalendar file such as
    /// Fedora's `f-44-key.ics`) into plans, one per milestone the mapping
    /// names; prints what it did not map. Running it again records a new
    /// revision only where a date moved. Never changes an event.
    ImportSchedule {
        /// The dist, e.g. `fedora` (something must be recorded or planned for it).
        dist: String,
        /// The release, e.g. `44`.
        release: String,
        /// The iCalendar file.
        file: PathBuf,
        /// Milestone names to transitions, one `[enter|leave] STATE =
        /// PATTERN | PATTERN ...` per line (docs/operations.md); default:
        /// Fedora's branching, beta, final release and end of life.
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
}

/// Flags of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Address of the Prometheus metrics (`GET /metrics`), apart from the
    /// public one so that only the monitoring network reaches it, e.g.
    /// `127.0.0.1:9464`. Unset: no metrics are recorded or served.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Directory with the built site (wasm, JS, CSS), as cargo-leptos writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// How often to read writes of other instances from the database, in
    /// milliseconds.
    #[arg(long, env = "POLL_INTERVAL_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_interval_ms: u64,

    /// Who mints the ids of feed entries and calendar events
    /// (`tag:AUTHORITY,2026:event/42`, `event-42@AUTHORITY`): a domain name
    /// or an e-mail address of the operator. Feed readers and calendars
    /// know entries by these ids, so set it once and never change it; it
    /// does not follow `--public-url` so that moving the server keeps them.
    #[arg(long, env = "FEED_AUTHORITY", default_value = crate::settings::DEFAULT_AUTHORITY)]
    pub feed_authority: crate::settings::FeedAuthority,

    /// Which states the date columns of `/api/v1/compat/distro-info/{dist}.csv`
    /// report, as `DIST.COLUMN=STATE` entries separated by commas (COLUMN:
    /// `created`, `release`, `eol`), e.g. `debian.release=released`.
    /// Unset columns keep the defaults `development`, `stable`, `eol`.
    /// `DIST.last=REL+REL` names the unnumbered releases that end the table,
    /// in order (default `sid+experimental`).
    #[arg(long, env = "DISTRO_INFO_STATES", default_value = "")]
    pub distro_info_states: String,

    /// How long past its date an unmet plan waits before it is overdue
    /// (`1d`, `12h`).
    #[arg(long, env = "PLAN_GRACE", default_value = "1d", value_parser = humantime::parse_duration)]
    pub plan_grace: std::time::Duration,

    /// How often `serve` looks for plans that became overdue to announce
    /// them on the bus (`plan.overdue`, once per key and revision).
    #[arg(long, env = "OVERDUE_CHECK_INTERVAL", default_value = "1m", value_parser = positive_duration)]
    pub overdue_check_interval: std::time::Duration,

    /// Bodhi's base URL for the periodic audit (`/audit`, `GET
    /// /api/v1/audit`), e.g. `https://bodhi.fedoraproject.org/`; unset: off.
    #[arg(long, env = "AUDIT_BODHI_URL")]
    pub audit_bodhi_url: Option<url::Url>,

    /// How often the periodic audit reads Bodhi (`1h`, `30m`; at least a minute).
    #[arg(long, env = "AUDIT_INTERVAL", default_value = "1h", value_parser = audit_interval)]
    pub audit_interval: std::time::Duration,

    /// Most `GET /api/v1/stream` connections open at once; more are
    /// answered `503` with `Retry-After`. Each open stream holds a file
    /// descriptor: keep it below the process's limit.
    #[arg(long, env = "MAX_STREAMS", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams: u32,

    /// How often an idle stream sends a keep-alive comment (at most 15 s
    /// keeps proxies from closing it).
    #[arg(long, env = "STREAM_KEEP_ALIVE", default_value = "15s", value_parser = positive_duration)]
    pub stream_keep_alive: std::time::Duration,

    /// The webhooks.
    #[command(flatten)]
    pub webhooks: crate::webhooks::WebhookArgs,

    /// The message bus.
    #[command(flatten)]
    pub bus: crate::bus::BusArgs,

    /// Browser logins.
    #[command(flatten)]
    pub auth: crate::auth::config::AuthArgs,
    /// How states map onto Bodhi's and pkgdb's words for `/api/v1/compat/...`.
    #[command(flatten)]
    pub compat: crate::api::compat::CompatArgs,
    /// Rate limits, request timeout, concurrency limit.
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,
}

impl ServeArgs {
    /// The polling interval as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints it once, alone on the last line.
    Create {
        /// Name recorded with every write made with the token.
        #[arg(long)]
        name: String,
        /// Days until it expires (default: 90).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650), conflicts_with = "no_expiry")]
        expires_in_days: Option<u32>,
        /// Never expires (for a service whose token is rotated by other
        /// means; it can still be revoked).
        #[arg(long)]
        no_expiry: bool,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke the active token with this name.
    Revoke {
        /// Token name.
        name: String,
    },
}

/// The `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List everyone who signed in, with their editor status.
    List,
    /// Disable a person, by nickname: their sessions end at their next
    /// request, their personal tokens are revoked, and they cannot sign in
    /// again until enabled.
    Disable {
        /// Their nickname.
        nickname: String,
    },
    /// Let a disabled person sign in again (they edit again only after a
    /// sign-in that finds them in an editor group; revoked tokens stay
    /// revoked).
    Enable {
        /// Their nickname.
        nickname: String,
    },
}

/// A duration above zero (a zero interval would spin).
fn positive_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(d)
}

/// An audit interval: a duration of at least a minute, so that the audit
/// never hammers Bodhi.
fn audit_interval(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if d < std::time::Duration::from_secs(60) {
        return Err("must be at least a minute (1m)".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_reads_public_url_and_feed_authority() {
        let cli = Cli::try_parse_from([
            "releasetracker",
            "serve",
            "--public-url",
            "https://rt.example.org",
            "--feed-authority",
            "example.org",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else { panic!("serve") };
        let auth = crate::auth::config::AuthSettings::from_args(&args.auth, args.bind).unwrap();
        assert_eq!(auth.public_url.as_str(), "https://rt.example.org/");
        assert_eq!(args.feed_authority.as_str(), "example.org");
        assert!(Cli::try_parse_from(["releasetracker", "serve", "--feed-authority", "not a domain"]).is_err());
        assert!(Cli::try_parse_from(["releasetracker", "serve", "--public-url", "nope"]).is_err());
        // Checked once the flags are read, with the login settings.
        let cli = Cli::try_parse_from(["releasetracker", "serve", "--public-url", "ftp://rt.example.org/"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert!(crate::auth::config::AuthSettings::from_args(&args.auth, args.bind).is_err());
    }

    #[test]
    fn the_audit_interval_is_at_least_a_minute() {
        let cli = Cli::try_parse_from(["releasetracker", "serve", "--audit-interval", "30m"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.audit_interval, std::time::Duration::from_secs(1800));
        assert!(Cli::try_parse_from(["releasetracker", "serve", "--audit-interval", "59s"]).is_err());
        assert!(Cli::try_parse_from(["releasetracker", "serve", "--audit-interval", "soon"]).is_err());
    }
}
