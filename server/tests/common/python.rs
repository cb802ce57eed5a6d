//! Python tools from PyPI that check our output the way real consumers
//! read it (fedora-messaging, feedparser, icalendar, an OpenAPI
//! validator), each in a virtual environment made once under the target
//! directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Python of the virtual environment `name` with `packages` installed,
/// once `import` works in it. `None` (said loudly) when it cannot be made;
/// with `CI=true` that fails the test.
pub fn venv(name: &str, import: &str, packages: &[&str]) -> Option<PathBuf> {
    // Tests of one binary run at once and would build the same environment
    // over each other (seen: `File exists`, a broken ensurepip): one at a time.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = venv.join("bin/python");
    let works = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {import}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works(&python) {
        return Some(python);
    }
    let made = (|| -> Result<(), String> {
        let run = |cmd: &mut Command| -> Result<(), String> {
            let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)))
            }
        };
        let _ = std::fs::remove_dir_all(&venv);
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip")).args(["install", "--quiet"]).args(packages))?;
        if works(&python) {
            Ok(())
        } else {
            Err(format!("`import {import}` fails"))
        }
    })();
    match made {
        Ok(()) => Some(python),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the Python environment {name} ({}) is required with CI=true: {e}", packages.join(" "))
        }
        Err(e) => {
            eprintln!("SKIPPED: cannot set up {} from PyPI ({e})", packages.join(" "));
            None
        }
    }
}
