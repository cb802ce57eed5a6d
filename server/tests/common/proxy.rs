//! A loopback TCP proxy in front of a shared service (PostgreSQL), so a
//! test can play an outage without stopping the service: `cut` closes the
//! port and every connection through it, `restore` listens again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Forwards 127.0.0.1:`port` to `upstream`.
pub struct Proxy {
    pub port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
    /// Armed by [`Proxy::cut_after_next_commit`].
    armed: Arc<AtomicBool>,
    /// Armed by [`Proxy::cut_when_next_commit_is_sent`]: `Some(forward)`.
    armed_sent: Arc<Mutex<Option<bool>>>,
    /// Whether an armed cut happened.
    tripped: Arc<AtomicBool>,
}

impl Proxy {
    /// A proxy to the host and port of `url` (e.g. a `postgres://` URL).
    pub async fn start(url: &str) -> Self {
        let parsed = url::Url::parse(url).expect("service URL");
        let host = parsed.host_str().expect("host").trim_matches(['[', ']']).to_owned();
        let port = parsed.port().unwrap_or(5432);
        let upstream = tokio::net::lookup_host((host.as_str(), port)).await.expect("resolve").next().expect("address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let proxy = Self {
            port: listener.local_addr().expect("address").port(),
            upstream,
            tasks: Arc::default(),
            armed: Arc::default(),
            armed_sent: Arc::default(),
            tripped: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    /// `url` with the proxy's address instead of the service's.
    pub fn url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("service URL");
        url.set_host(Some("127.0.0.1")).expect("host");
        url.set_port(Some(self.port)).expect("port");
        url.to_string()
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks, armed, tripped) =
            (self.upstream, self.tasks.clone(), self.armed.clone(), self.tripped.clone());
        let armed_sent = self.armed_sent.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else { continue };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let (all, armed_sent, tripped_up) = (tasks.clone(), armed_sent.clone(), tripped.clone());
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = client_read.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let commit = buf[..n].windows(6).any(|w| w == b"COMMIT");
                        let cut = if commit { armed_sent.lock().expect("lock").take() } else { None };
                        match cut {
                            None => {
                                if server_write.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                            Some(forward) => {
                                if forward {
                                    let _ = server_write.write_all(&buf[..n]).await;
                                    // The database keeps this connection and
                                    // commits; its answer goes nowhere.
                                    tokio::spawn(async move {
                                        let _held = server_write;
                                        tokio::time::sleep(Duration::from_secs(30)).await;
                                    });
                                }
                                // Without forwarding, the database sees the
                                // connection close inside the transaction and
                                // rolls back.
                                tripped_up.store(true, Ordering::SeqCst);
                                for task in all.lock().expect("lock").drain(..) {
                                    task.abort();
                                }
                                return;
                            }
                        }
                    }
                    let _ = server_write.shutdown().await;
                });
                let (all, armed, tripped) = (tasks.clone(), armed.clone(), tripped.clone());
                let down = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = server_read.read(&mut buf).await {
                        if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        // PostgreSQL's CommandComplete tag of a COMMIT has
                        // gone to the client: the service vanishes now.
                        if armed.load(Ordering::SeqCst) && buf[..n].windows(6).any(|w| w == b"COMMIT") {
                            armed.store(false, Ordering::SeqCst);
                            tripped.store(true, Ordering::SeqCst);
                            let _ = client_write.flush().await;
                            for task in all.lock().expect("lock").drain(..) {
                                task.abort();
                            }
                        }
                    }
                    let _ = client_write.shutdown().await;
                });
                let mut tasks = tasks.lock().expect("lock");
                tasks.push(up.abort_handle());
                tasks.push(down.abort_handle());
            }
        });
        self.tasks.lock().expect("lock").push(accept.abort_handle());
    }

    /// Cuts everything (as [`Proxy::cut`]) right after the next `COMMIT`
    /// has been answered, so the client knows its transaction committed
    /// and then finds the database gone.
    pub fn cut_after_next_commit(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Cuts everything (as [`Proxy::cut`]) when the client sends its next
    /// `COMMIT`, before any answer: with `forward` the `COMMIT` reaches the
    /// database first (which commits), without it the database never sees
    /// it (and rolls back). Either way the client cannot know which.
    pub fn cut_when_next_commit_is_sent(&self, forward: bool) {
        *self.armed_sent.lock().expect("lock") = Some(forward);
    }

    /// Whether an armed cut happened.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// The service vanishes: port closed (connections refused), open
    /// connections dropped.
    pub async fn cut(&self) {
        for task in self.tasks.lock().expect("lock").drain(..) {
            task.abort();
        }
        // Let the aborted tasks drop their sockets.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// The service is back on the same port.
    pub async fn restore(&self) {
        let started = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if started.elapsed() < Duration::from_secs(10) => {
                    eprintln!("rebinding proxy port {}: {e}", self.port);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot rebind proxy port {}: {e}", self.port),
            }
        };
        self.serve(listener);
    }
}
