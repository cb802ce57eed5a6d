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
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://releasetracker.db", hide_env_values = true)]
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
// Parsed once at start: the size of `serve`'s flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write the whole log to stdout as JSON Lines.
    Export,
    /// Read a JSON Lines file (as written by `export`) into the log: all or nothing.
    Import {
        /// The file; `-` reads stdin.
        file: PathBuf,
    },
    /// Turn a public release-history CSV (Fedora's, or distro-info-data's
    /// Debian/Ubuntu) into events; running it again adds only what is missing.
    ImportHistory {
        /// The dist the events belong to, e.g. `fedora`.
        dist: String,
        /// The CSV file, e.g. `data/fedora-releases.csv`.
        file: PathBuf,
    },
}

/// Flags of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Directory with the built site (wasm, JS, CSS), as cargo-leptos writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// How often to read writes of other instances from the database, in
    /// milliseconds.
    #[arg(long, env = "POLL_INTERVAL_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_interval_ms: u64,

    /// The address people and feed readers reach this server at, e.g.
    /// `https://releasetracker.fedoraproject.org/`; absolute links (the
    /// Atom feed, the calendar) start with it. Default: `http://` and the
    /// bind address.
    #[arg(long, env = "PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,

    /// Who mints the ids of feed entries and calendar events
    /// (`tag:AUTHORITY,2026:event/42`, `event-42@AUTHORITY`): a domain name
    /// or an e-mail address of the operator. Feed readers and calendars
    /// know entries by these ids, so set it once and never change it; it
    /// does not follow `--public-url` so that moving the server keeps them.
    #[arg(long, env = "FEED_AUTHORITY", default_value = crate::feed::DEFAULT_AUTHORITY)]
    pub feed_authority: crate::feed::FeedAuthority,

    /// The message bus.
    #[command(flatten)]
    pub bus: crate::bus::BusArgs,
}

/// Reads `--public-url`: an absolute http(s) URL without query or
/// fragment. Its path always ends with `/` so links join below it.
pub fn parse_public_url(raw: &str) -> Result<url::Url, String> {
    let mut url = url::Url::parse(raw.trim()).map_err(|e| format!("not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or a fragment".into());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl ServeArgs {
    /// `--public-url`, or `http://` and the bind address.
    pub fn public_url(&self) -> url::Url {
        self.public_url.clone().unwrap_or_else(|| default_public_url(self.bind))
    }

    /// The polling interval as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

/// The public URL of a server nobody configured one for: `http://` and the
/// address it listens on.
pub fn default_public_url(bind: SocketAddr) -> url::Url {
    let raw = format!("http://{bind}/");
    // A socket address always makes a valid authority; the fallback only
    // keeps this total.
    url::Url::parse(&raw).unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("a literal URL"))
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints it once, alone on the last line.
    Create {
        /// Name recorded with every write made with the token.
        #[arg(long)]
        name: String,
        /// Days until it expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke the active token with this name.
    Revoke {
        /// Token name.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_checked_and_ends_with_a_slash() {
        assert_eq!(parse_public_url("https://rt.example.org").unwrap().as_str(), "https://rt.example.org/");
        assert_eq!(parse_public_url("https://example.org/rt").unwrap().as_str(), "https://example.org/rt/");
        assert!(parse_public_url("ftp://example.org/").is_err());
        assert!(parse_public_url("example.org").is_err());
        assert!(parse_public_url("https://example.org/?a=1").is_err());
        assert_eq!(default_public_url("0.0.0.0:3000".parse().unwrap()).as_str(), "http://0.0.0.0:3000/");
        assert_eq!(default_public_url("[::1]:3000".parse().unwrap()).as_str(), "http://[::1]:3000/");
    }

    #[test]
    fn serve_reads_public_url_and_feed_authority() {
        let cli = Cli::try_parse_from(["releasetracker", "serve", "--public-url", "https://rt.example.org", "--feed-authority", "example.org"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.public_url().as_str(), "https://rt.example.org/");
        assert_eq!(args.feed_authority.as_str(), "example.org");
        assert!(Cli::try_parse_from(["releasetracker", "serve", "--feed-authority", "not a domain"]).is_err());
        assert!(Cli::try_parse_from(["releasetracker", "serve", "--public-url", "nope"]).is_err());
    }
}
