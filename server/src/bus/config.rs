//! Settings of the message bus: the `serve` flags (`--amqp-url` and
//! friends, each with its environment variable) and the checked
//! `BusConfig` the publisher runs with. The broker URL carries a password,
//! so it only ever prints redacted.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use lapin::types::ShortString;
use lapin::uri::AMQPUri;

use super::message::Topics;

/// Flags of `serve` for the message bus.
#[derive(Debug, Clone, Args)]
pub struct BusArgs {
    /// AMQP broker to publish to, e.g. `amqps://user:password@host/%2f`.
    /// Without it nothing is published; messages wait in the outbox.
    // Parsed later, not by clap: clap would echo a bad value (and its
    // password) in its error message.
    #[arg(long = "amqp-url", env = "AMQP_URL", hide_env_values = true)]
    pub amqp_url: Option<AmqpUrl>,

    /// Topic exchange the messages go to.
    #[arg(long = "amqp-exchange", env = "AMQP_EXCHANGE", default_value = "amq.topic")]
    pub amqp_exchange: String,

    /// First part of every topic: `{prefix}.releasetracker.event.reached`
    /// (`org.fedoraproject.prod` in production).
    #[arg(long = "amqp-topic-prefix", env = "AMQP_TOPIC_PREFIX", default_value = "org.fedoraproject.dev")]
    pub amqp_topic_prefix: String,

    /// PEM file of CA certificates to trust for `amqps://`, in addition to
    /// the system's (for a broker with a private CA).
    #[arg(long = "amqp-ca-file", env = "AMQP_CA_FILE")]
    pub amqp_ca_file: Option<PathBuf>,

    /// PEM file of the client certificate the broker authenticates this
    /// publisher with (Fedora's brokers require one; fedora-messaging's
    /// `certfile`). Needs `--amqp-client-key`.
    #[arg(long = "amqp-client-cert", env = "AMQP_CLIENT_CERT", requires = "amqp_client_key")]
    pub amqp_client_cert: Option<PathBuf>,

    /// PEM file of the client certificate's private key (PKCS#8, PKCS#1
    /// or SEC1; fedora-messaging's `keyfile`). Needs `--amqp-client-cert`.
    #[arg(long = "amqp-client-key", env = "AMQP_CLIENT_KEY", requires = "amqp_client_cert")]
    pub amqp_client_key: Option<PathBuf>,
}

/// A client certificate and its private key, read at start. `Debug`
/// never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate chain, PEM.
    pub certificate: Vec<u8>,
    /// The private key, PEM.
    pub key: Vec<u8>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity").field("certificate", &"(PEM)").field("key", &"(redacted)").finish()
    }
}

/// A broker URL as given; `Debug` and `Display` hide its password.
#[derive(Clone, PartialEq, Eq)]
pub struct AmqpUrl(String);

impl AmqpUrl {
    /// Wraps a URL without checking it; [`BusConfig::new`] checks.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with any password replaced by `***`, for logs.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() && url.set_password(Some("***")).is_err() {
                    return "(a URL that cannot be shown)".into();
                }
                url.to_string()
            }
            Err(_) => "(an unparsable URL)".into(),
        }
    }

    /// Parses the URL the way lapin does, but keeps the host as written:
    /// lapin's parser reads only DNS names and silently replaces an IP
    /// address (`amqp://10.0.0.5/`) with `localhost`. Connect with
    /// `lapin::Connection::connect_uri`.
    pub fn to_uri(&self) -> Result<AMQPUri, BusConfigError> {
        let bad = |reason: String| BusConfigError::Url { url: self.redacted(), reason };
        let url = url::Url::parse(&self.0).map_err(|e| bad(e.to_string()))?;
        // AMQPUri's parse errors may quote the URL; report ours instead.
        let mut uri = AMQPUri::from_str(&self.0).map_err(|_| {
            bad("not an amqp:// or amqps:// URL with a host (amqp://user:password@host:port/vhost)".into())
        })?;
        uri.authority.host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("the URL has no host".into())),
        };
        Ok(uri)
    }
}

impl From<&str> for AmqpUrl {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AmqpUrl").field(&self.redacted()).finish()
    }
}

impl fmt::Display for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Bus settings that cannot work; `serve` refuses to start with them.
#[derive(Debug, thiserror::Error)]
pub enum BusConfigError {
    /// The broker URL does not parse (shown redacted).
    #[error("AMQP_URL {url}: {reason}")]
    Url {
        /// The URL without its password.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The exchange name is empty or not a valid AMQP name.
    #[error("AMQP_EXCHANGE `{0}`: use 1 to 127 letters, digits, `-`, `_`, `.` or `:`")]
    Exchange(String),
    /// The topic prefix would make invalid routing keys.
    #[error("AMQP_TOPIC_PREFIX `{0}`: use dot-separated words of letters, digits, `-` and `_`, at most 200 bytes")]
    TopicPrefix(String),
    /// The CA file cannot be read or holds no PEM certificate.
    #[error("AMQP_CA_FILE {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client certificate or key file cannot be read or is not PEM.
    #[error("{setting} {path}: {reason}")]
    ClientIdentity {
        /// `AMQP_CLIENT_CERT` or `AMQP_CLIENT_KEY`.
        setting: &'static str,
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Everything the publisher needs, checked.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// The broker.
    pub url: AmqpUrl,
    uri: AMQPUri,
    /// The exchange messages go to.
    pub exchange: ShortString,
    /// Routing keys per kind of message.
    pub topics: Topics,
    /// Extra trusted CA certificates (PEM) for `amqps://`.
    pub ca_certificates: Option<String>,
    /// The client certificate presented to the broker, if any.
    pub client_identity: Option<ClientIdentity>,
    /// Rows published per round (and per database transaction).
    pub batch_size: i64,
    /// How often to look for rows written by other instances.
    pub poll_interval: Duration,
    /// First wait after a failure; doubles per failure up to `backoff_max`.
    pub backoff_min: Duration,
    /// Longest wait between reconnection attempts.
    pub backoff_max: Duration,
    /// How long a connection attempt may take.
    pub connect_timeout: Duration,
    /// How long a round may wait for the broker's confirms.
    pub confirm_timeout: Duration,
    /// Pause after a round that sent messages, so the next one batches
    /// the writes that came meanwhile (adds at most this to the latency,
    /// and only while writes keep coming).
    pub linger: Duration,
}

/// Whether `name` is an AMQP exchange name RabbitMQ accepts.
fn valid_exchange(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Whether `prefix` makes routing keys that bindings can match word by
/// word (no wildcards, no empty words).
fn valid_prefix(prefix: &str) -> bool {
    prefix.len() <= 200
        && prefix
            .split('.')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
}

impl BusConfig {
    /// Checks the settings; the tuning values get their defaults.
    pub fn new(url: AmqpUrl, exchange: &str, topic_prefix: &str) -> Result<Self, BusConfigError> {
        let uri = url.to_uri()?;
        if !valid_exchange(exchange) {
            return Err(BusConfigError::Exchange(exchange.to_owned()));
        }
        if !valid_prefix(topic_prefix) {
            return Err(BusConfigError::TopicPrefix(topic_prefix.to_owned()));
        }
        let exchange = ShortString::try_new(exchange).map_err(|_| BusConfigError::Exchange(exchange.to_owned()))?;
        let topics = Topics::new(topic_prefix).ok_or_else(|| BusConfigError::TopicPrefix(topic_prefix.to_owned()))?;
        Ok(Self {
            url,
            uri,
            exchange,
            topics,
            ca_certificates: None,
            client_identity: None,
            batch_size: 200,
            poll_interval: Duration::from_millis(500),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            confirm_timeout: Duration::from_secs(15),
            linger: Duration::from_millis(5),
        })
    }

    /// The settings of `serve`: `None` when no broker is configured
    /// (publishing off), an error when they cannot work.
    pub fn from_args(args: &BusArgs, poll_interval: Duration) -> Result<Option<Self>, BusConfigError> {
        let Some(url) = args.amqp_url.clone().filter(|u| !u.0.trim().is_empty()) else {
            return Ok(None);
        };
        let mut config = Self::new(url, &args.amqp_exchange, &args.amqp_topic_prefix)?;
        config.poll_interval = poll_interval;
        if let Some(path) = &args.amqp_ca_file {
            config = config.with_ca_file(path)?;
        }
        match (&args.amqp_client_cert, &args.amqp_client_key) {
            (Some(cert), Some(key)) => config = config.with_client_certificate(cert, key)?,
            (None, None) => {}
            (Some(cert), None) => {
                return Err(BusConfigError::ClientIdentity {
                    setting: "AMQP_CLIENT_KEY",
                    path: cert.display().to_string(),
                    reason: "a client certificate needs its key (AMQP_CLIENT_KEY)".into(),
                })
            }
            (None, Some(key)) => {
                return Err(BusConfigError::ClientIdentity {
                    setting: "AMQP_CLIENT_CERT",
                    path: key.display().to_string(),
                    reason: "a client key needs its certificate (AMQP_CLIENT_CERT)".into(),
                })
            }
        }
        Ok(Some(config))
    }

    /// Presents the certificate (chain) in the PEM file `cert`, with the
    /// private key in `key`, to the broker. Both are read now, so that a
    /// bad file stops start-up instead of every connection attempt.
    pub fn with_client_certificate(mut self, cert: &Path, key: &Path) -> Result<Self, BusConfigError> {
        let read = |setting: &'static str, path: &Path, marker: &str, what: &str| {
            let bad =
                |reason: String| BusConfigError::ClientIdentity { setting, path: path.display().to_string(), reason };
            let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
            let text = String::from_utf8_lossy(&pem);
            if !(text.contains("-----BEGIN ") && text.contains(marker)) {
                return Err(bad(format!("no PEM {what} in it")));
            }
            Ok(pem)
        };
        let certificate = read("AMQP_CLIENT_CERT", cert, "CERTIFICATE-----", "certificate")?;
        let key = read("AMQP_CLIENT_KEY", key, "PRIVATE KEY-----", "private key")?;
        self.client_identity = Some(ClientIdentity { certificate, key });
        Ok(self)
    }

    /// Trusts the CA certificates in the PEM file at `path` too, read now so
    /// that a bad file stops start-up instead of every connection attempt.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self, BusConfigError> {
        let bad = |reason: String| BusConfigError::CaFile { path: path.display().to_string(), reason };
        let pem = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad("no PEM certificate in it".into()));
        }
        self.ca_certificates = Some(pem);
        Ok(self)
    }

    /// The parsed broker address to connect to.
    pub(super) fn uri(&self) -> AMQPUri {
        self.uri.clone()
    }

    /// One line for start-up logs, without secrets.
    pub fn describe(&self) -> String {
        let ca = if self.ca_certificates.is_some() { ", extra CA certificates" } else { "" };
        let client = if self.client_identity.is_some() { ", client certificate" } else { "" };
        format!("{} (exchange {}, topics {}.*{ca}{client})", self.url, self.exchange, self.topics.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        let url = AmqpUrl::new("amqps://releng:s3cr%2Ft@rabbit.example.org:5671/%2Fpubsub");
        for shown in [format!("{url}"), format!("{url:?}"), url.redacted()] {
            assert!(!shown.contains("s3cr"), "{shown}");
            assert!(shown.contains("releng") && shown.contains("rabbit.example.org"), "{shown}");
        }
        assert_eq!(AmqpUrl::new("not a url at all:secret").redacted(), "(an unparsable URL)");
    }

    #[test]
    fn ip_hosts_are_kept() {
        let config = BusConfig::new("amqp://guest:guest@10.1.2.3:5673/%2f".into(), "amq.topic", "org.example").unwrap();
        let uri = config.uri();
        assert_eq!(uri.authority.host, "10.1.2.3");
        assert_eq!(uri.authority.port, 5673);
        assert_eq!(uri.vhost, "/");
        let v6 = BusConfig::new("amqp://[::1]:5672/%2f".into(), "amq.topic", "org.example").unwrap();
        assert_eq!(v6.uri().authority.host, "::1");
        let tls = BusConfig::new("amqps://u:p@rabbit.example.org/%2f".into(), "amq.topic", "org.example").unwrap();
        assert_eq!(tls.uri().authority.port, 5671);
    }

    #[test]
    fn bad_settings_are_refused_without_echoing_secrets() {
        let e = BusConfig::new("http://u:hunter2@host/".into(), "amq.topic", "org.example").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(BusConfig::new("amqp://host/".into(), "", "org.example").is_err());
        assert!(BusConfig::new("amqp://host/".into(), "amq topic", "org.example").is_err());
        for prefix in ["", "org..x", "org.*", "org.#", ".org", "org.", "org x"] {
            assert!(BusConfig::new("amqp://host/".into(), "amq.topic", prefix).is_err(), "{prefix}");
        }
        let ok = BusConfig::new("amqp://host/".into(), "amq.topic", "org.fedoraproject.prod").unwrap();
        assert_eq!(ok.topics.reached.as_str(), "org.fedoraproject.prod.releasetracker.event.reached");
    }

    #[test]
    fn no_url_means_publishing_off() {
        let args = BusArgs {
            amqp_url: Some("  ".into()),
            amqp_exchange: "amq.topic".into(),
            amqp_topic_prefix: "org.fedoraproject.dev".into(),
            amqp_ca_file: None,
            amqp_client_cert: None,
            amqp_client_key: None,
        };
        assert!(BusConfig::from_args(&args, Duration::from_millis(500)).unwrap().is_none());
        let args = BusArgs { amqp_url: None, ..args };
        assert!(BusConfig::from_args(&args, Duration::from_millis(500)).unwrap().is_none());
    }

    #[test]
    fn ca_files_are_read_at_start() {
        let config = || BusConfig::new("amqps://host/".into(), "amq.topic", "org.example").unwrap();
        let e = config().with_ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(e.to_string().starts_with("AMQP_CA_FILE /nonexistent/ca.pem:"), "{e}");
        let dir = std::env::temp_dir().join(format!("rt-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        assert!(config().with_ca_file(&not_pem).is_err());
        let pem = dir.join("ca.pem");
        std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        assert!(config().with_ca_file(&pem).unwrap().ca_certificates.is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fedoras_certificate_login_is_asked_for_in_the_url() {
        // fedora-messaging's brokers: SASL EXTERNAL, the identity is the
        // client certificate's.
        let config = BusConfig::new(
            "amqps://releasetracker@rabbitmq.fedoraproject.org/%2Fpubsub?auth_mechanism=external".into(),
            "amq.topic",
            "org.fedoraproject.prod",
        )
        .unwrap();
        assert_eq!(config.uri().query.auth_mechanism, Some(lapin::uri::SASLMechanism::External));
    }

    #[test]
    fn client_certificates_are_read_at_start_and_their_keys_never_print() {
        let config = || BusConfig::new("amqps://host/".into(), "amq.topic", "org.example").unwrap();
        let dir = std::env::temp_dir().join(format!("rt-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("cert.pem");
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        let key = dir.join("key.pem");
        std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nSECRETKEYBYTES\n-----END PRIVATE KEY-----\n").unwrap();

        let e = config().with_client_certificate(Path::new("/nonexistent/c.pem"), &key).unwrap_err();
        assert!(e.to_string().starts_with("AMQP_CLIENT_CERT /nonexistent/c.pem:"), "{e}");
        let e = config().with_client_certificate(&cert, &cert).unwrap_err();
        assert!(e.to_string().contains("AMQP_CLIENT_KEY") && e.to_string().contains("no PEM private key"), "{e}");
        let e = config().with_client_certificate(&key, &key).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate"), "{e}");

        let with = config().with_client_certificate(&cert, &key).unwrap();
        assert!(with.client_identity.is_some());
        assert!(with.describe().contains("client certificate"), "{}", with.describe());
        assert!(!format!("{with:?}").contains("SECRETKEYBYTES"), "the key never prints");

        // Flags: both or neither.
        let args = |cert: Option<&Path>, key: Option<&Path>| BusArgs {
            amqp_url: Some("amqps://host/".into()),
            amqp_exchange: "amq.topic".into(),
            amqp_topic_prefix: "org.example".into(),
            amqp_ca_file: None,
            amqp_client_cert: cert.map(Path::to_path_buf),
            amqp_client_key: key.map(Path::to_path_buf),
        };
        let from = |a: BusArgs| BusConfig::from_args(&a, Duration::from_millis(500));
        assert!(from(args(Some(&cert), None)).is_err());
        assert!(from(args(None, Some(&key))).is_err());
        assert!(from(args(Some(&cert), Some(&key))).unwrap().unwrap().client_identity.is_some());
        assert!(from(args(None, None)).unwrap().unwrap().client_identity.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
