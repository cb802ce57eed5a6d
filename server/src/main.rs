//! The `releasetracker` binary: parses the command line and runs one
//! subcommand. Exit status 0 on success; otherwise 1 and a one-line reason.

use clap::Parser;
use server::config::{Cli, Command};
use server::store::Store;
use server::{commands, serve, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.log_level, cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args, &cli.database).await,
        command => match Store::connect(&cli.database).await {
            Err(e) => Err(format!("cannot open the database: {e}")),
            Ok(store) => {
                let result = match command {
                    Command::Token(t) => commands::token(&store, t).await,
                    Command::User(u) => commands::user(&store, u).await,
                    Command::Export => commands::export(&store).await,
                    Command::Import { file } => commands::import(&store, &file).await,
                    Command::ImportHistory { dist, file } => commands::import_history(&store, &dist, &file).await,
                    Command::ImportSchedule { dist, release, file, mapping } => {
                        commands::import_schedule(&store, &dist, &release, &file, mapping.as_deref()).await
                    }
                    Command::Audit { bodhi_url, at } => server::audit::run(&store, &bodhi_url, at.as_deref()).await,
                    Command::Serve(_) => Ok(()),
                };
                store.close().await;
                result
            }
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("releasetracker: {reason}");
            std::process::ExitCode::FAILURE
        }
    }
}
