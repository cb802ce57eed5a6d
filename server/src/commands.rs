//! The administrative subcommands: API tokens, export and import. Each
//! returns a one-line reason on failure, which `main` prints to stderr.

use std::io::{Read, Write};
use std::path::Path;

use app::model::time::format;
use chrono::Utc;

use crate::auth::new_token;
use crate::config::{TokenCommand, UserCommand};
use crate::jsonl::{self, Line};
use crate::log::{with_cause, Import, LogWriter};
use crate::store::{Store, StoreError};

/// Days an operator's token lives unless `--expires-in-days` or
/// `--no-expiry` says otherwise: a forgotten token should not work forever.
const DEFAULT_TOKEN_DAYS: u32 = 90;

/// Runs a `user` subcommand.
pub async fn user(store: &Store, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::List => {
            let rows = store.list_users().await.map_err(|e| e.to_string())?;
            println!("{:<24} {:<9} {:<22} {:<22} ISSUER", "NICKNAME", "STATUS", "LAST SIGN-IN", "DISABLED");
            let show = |t: Option<chrono::DateTime<Utc>>| {
                t.map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            };
            for r in rows {
                let status = match (r.disabled_at.is_some(), r.is_editor) {
                    (true, _) => "disabled",
                    (false, true) => "editor",
                    (false, false) => "reader",
                };
                println!(
                    "{:<24} {:<9} {:<22} {:<22} {}",
                    r.nickname,
                    status,
                    show(Some(r.last_login_at)),
                    show(r.disabled_at),
                    r.issuer
                );
            }
            Ok(())
        }
        UserCommand::Disable { nickname } => {
            let done = store.disable_users(&nickname, Utc::now()).await.map_err(|e| e.to_string())?;
            if done.is_empty() {
                return Err(format!("nobody active signed in as `{nickname}`"));
            }
            for d in done {
                tracing::warn!(user = %nickname, issuer = %d.key.issuer, tokens = d.tokens_revoked, "person disabled");
                println!(
                    "Disabled `{nickname}` ({}): sessions end at their next request; {} token(s) revoked.",
                    d.key.issuer, d.tokens_revoked
                );
            }
            Ok(())
        }
        UserCommand::Enable { nickname } => {
            match store.enable_users(&nickname).await.map_err(|e| e.to_string())? {
                0 => Err(format!("nobody disabled signed in as `{nickname}`")),
                n => {
                    println!("Enabled `{nickname}` ({n}); they edit again after a sign-in that finds them in an editor group.");
                    Ok(())
                }
            }
        }
    }
}

/// Runs a `token` subcommand.
pub async fn token(store: &Store, command: TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Create { name, expires_in_days, no_expiry } => {
            app::model::Dist::parse(&name).map_err(|e| format!("invalid token name: {}", e.message))?;
            let (token, hash) = new_token();
            let now = Utc::now();
            let days = expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
            let expires = (!no_expiry).then(|| now + chrono::Duration::days(i64::from(days)));
            store.create_token(&name, &hash, now, expires, None).await.map_err(|e| e.to_string())?;
            let until = expires.map_or("never".to_owned(), |t| format(&t));
            println!("Created API token `{name}` (expires: {until}). It is shown only now:");
            println!("{token}");
            Ok(())
        }
        TokenCommand::List => {
            let rows = store.list_tokens().await.map_err(|e| e.to_string())?;
            println!("{:<24} {:<8} {:<22} {:<22} {:<22}", "NAME", "STATUS", "CREATED", "EXPIRES", "LAST USED");
            let now = Utc::now();
            for r in rows {
                let status = if r.revoked_at.is_some() {
                    "revoked"
                } else if r.expires_at.is_some_and(|t| t <= now) {
                    "expired"
                } else {
                    "active"
                };
                let show = |t: Option<chrono::DateTime<Utc>>| {
                    t.map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                };
                println!(
                    "{:<24} {:<8} {:<22} {:<22} {:<22}",
                    r.name,
                    status,
                    show(Some(r.created_at)),
                    show(r.expires_at),
                    show(r.last_used_at)
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { name } => match store.revoke_token(&name, Utc::now()).await {
            Ok(()) => {
                println!("Revoked API token `{name}`.");
                Ok(())
            }
            Err(StoreError::NotFound) => Err(format!("no active token named `{name}`")),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// Writes every event, then every retraction, then every property change,
/// then every plan revision, as JSON Lines to stdout.
pub async fn export(store: &Store) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed: Option<std::io::Error> = None;
    let mut write_line = |line: Line| -> Result<(), StoreError> {
        if failed.is_some() {
            return Ok(());
        }
        let result =
            serde_json::to_writer(&mut out, &line).map_err(std::io::Error::from).and_then(|()| out.write_all(b"\n"));
        if let Err(e) = result {
            failed = Some(e);
        }
        Ok(())
    };
    store.for_each_event_after(0, |e| write_line(Line::from(&e))).await.map_err(|e| e.to_string())?;
    let mut after = 0;
    loop {
        let batch = store.retractions_after(after, 10_000).await.map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for r in &batch {
            write_line(Line::from(r)).map_err(|e| e.to_string())?;
        }
    }
    let mut after = 0;
    loop {
        let batch = store.property_changes_after(after, 10_000).await.map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for c in &batch {
            write_line(Line::from(c)).map_err(|e| e.to_string())?;
        }
    }
    let mut after = 0;
    loop {
        let batch = store.plans_after(after, 10_000).await.map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for p in &batch {
            write_line(Line::from(p)).map_err(|e| e.to_string())?;
        }
    }
    if let Some(e) = failed {
        return Err(format!("cannot write to stdout: {e}"));
    }
    out.flush().map_err(|e| format!("cannot write to stdout: {e}"))
}

/// Reads a JSON Lines file into the log in one transaction.
pub async fn import(store: &Store, file: &Path) -> Result<(), String> {
    let mut text = String::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    }
    let writer =
        LogWriter::open(store.clone()).await.map_err(|e| format!("cannot read the log: {}", with_cause(&e)))?;
    let (max_event, max_retraction) = store.max_ids().await.map_err(|e| e.to_string())?;
    let max_property = store.max_property_id().await.map_err(|e| e.to_string())?;
    let max_plan = store.max_plan_id().await.map_err(|e| e.to_string())?;
    // Events already stored that the file may retract.
    let mut stored = std::collections::HashSet::new();
    store
        .for_each_event_after(0, |e| {
            stored.insert(e.id);
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?;
    let parsed = jsonl::parse_all(&text, (max_event, max_retraction, max_property, max_plan), Utc::now(), |id| {
        stored.contains(&id)
    })?;
    let import = Import {
        events: parsed.events,
        retractions: parsed.retractions,
        properties: parsed.properties,
        plans: parsed.plans,
    };
    writer.import(&import).await.map_err(|e| format!("nothing was imported: {}", with_cause(&e)))?;
    eprintln!(
        "Imported {} events, {} retractions, {} property changes and {} plan revisions.",
        import.events.len(),
        import.retractions.len(),
        import.properties.len(),
        import.plans.len()
    );
    Ok(())
}

/// Imports a release-history CSV as events of `dist`.
pub async fn import_history(store: &Store, dist: &str, file: &Path) -> Result<(), String> {
    let dist = app::model::Dist::parse(dist).map_err(|e| format!("invalid dist: {}", e.message))?;
    let now = app::model::time::to_stored_precision(Utc::now());
    let writer =
        LogWriter::open(store.clone()).await.map_err(|e| format!("cannot read the log: {}", with_cause(&e)))?;
    let summary = crate::history::import(&writer, &dist, file, now).await?;
    eprintln!(
        "{}: added {} events; {} were already recorded; retracted {} the table no longer says; \
         {} future dates are plans ({} plan revisions stored); {} property changes.",
        file.display(),
        summary.added,
        summary.present,
        summary.retracted,
        summary.planned,
        summary.plans,
        summary.properties
    );
    for disagreement in &summary.disagreements {
        eprintln!("disagreement: {disagreement}");
    }
    Ok(())
}

/// Runs `import-schedule`: prints what was planned, moved and left, and
/// every milestone that was not mapped (not an error).
pub async fn import_schedule(
    store: &Store,
    dist: &str,
    release: &str,
    file: &Path,
    mapping: Option<&Path>,
) -> Result<(), String> {
    let dist = app::model::Dist::parse(dist).map_err(|e| format!("invalid dist: {}", e.message))?;
    let release = app::model::Release::parse(release).map_err(|e| format!("invalid release: {}", e.message))?;
    let now = app::model::time::to_stored_precision(Utc::now());
    let writer =
        LogWriter::open(store.clone()).await.map_err(|e| format!("cannot read the log: {}", with_cause(&e)))?;
    let summary = crate::schedule::import(&writer, &dist, &release, file, mapping, now).await?;
    println!(
        "{}: {} plan revisions for {dist} {release}: {} new, {} moved; {} unchanged; {} milestones not mapped.",
        file.display(),
        summary.written(),
        summary.added.len(),
        summary.moved.len(),
        summary.unchanged,
        summary.not_mapped.len()
    );
    for line in &summary.added {
        println!("new: {line}");
    }
    for line in &summary.moved {
        println!("moved: {line}");
    }
    for line in &summary.disagreements {
        println!("disagreement: {line}");
    }
    for line in &summary.not_mapped {
        println!("not mapped: {line}");
    }
    Ok(())
}
