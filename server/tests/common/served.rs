//! The real binary serving on a loopback port, for tests that need TCP,
//! signals and restarts: started on a database, stopped with SIGTERM
//! (timed), killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, http};

/// The server binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_releasetracker");

/// A running `releasetracker serve`.
pub struct Served {
    pub port: u16,
    child: Option<Child>,
}

impl Served {
    /// Serves `db` on a free port with `extra` flags, once `/healthz` answers.
    pub async fn start(db: &str, extra: &[&str]) -> Self {
        Self::start_on(db, free_port(), extra).await
    }

    /// As [`Self::start`], on `port`.
    pub async fn start_on(db: &str, port: u16, extra: &[&str]) -> Self {
        let child = Command::new(BIN)
            .args(["--database", db, "--log-level", "warn", "serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let started = Instant::now();
        while http(port, "GET", "/healthz", "", "").await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { port, child: Some(child) }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGTERM and waits for the exit; answers how long it took.
    pub fn stop(mut self) -> Duration {
        let mut child = self.child.take().expect("running");
        let started = Instant::now();
        let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
        assert!(sent.success());
        let status = child.wait().expect("wait for the server");
        assert!(status.success(), "the server exited with {status}");
        started.elapsed()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A new API token on `db`, made with the CLI.
pub fn token(db: &str, name: &str) -> String {
    let out = Command::new(BIN).args(["--database", db, "token", "create", "--name", name]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").lines().last().expect("a token").to_owned()
}
