//! Drop-in exports for consumers of older Fedora services, computed from
//! the projection: `fedora-aliases` (what packit's `fedora-distro-aliases`
//! derives from Bodhi) and `pkgdb-collections` (the collections list GNOME
//! Software reads) and `endoflife-date` (endoflife.date's API shape, with
//! plans for what is still ahead). The mapping itself is pure and lives in
//! `app::model::compat`; here are its flags and the HTTP handlers.

use app::model::compat::{fedora_aliases, pkgdb_collections, CompatMapping, FedoraAliases, PkgdbCollections};
use app::model::endoflife::{endoflife_date, EndOfLifeAnswer};
use app::model::{Dist, State};
use axum::extract::{Path, State as AxumState};
use axum::http::HeaderMap;
use axum::response::Response;

use super::cache::json_response;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::openapi::answers;
use super::views::AtParam;
use crate::state::AppState;

/// Flags of `serve` that say how our states read in Bodhi's and pkgdb's
/// vocabularies. Lists are comma-separated state names.
#[derive(Debug, Clone, clap::Args)]
pub struct CompatArgs {
    /// The dist whose releases are Fedora's.
    #[arg(long, env = "COMPAT_FEDORA_DIST", default_value = "fedora")]
    pub compat_fedora_dist: String,
    /// The dist whose releases are EPEL's.
    #[arg(long, env = "COMPAT_EPEL_DIST", default_value = "epel")]
    pub compat_epel_dist: String,
    /// States meaning released and supported (Bodhi `current`, pkgdb `Active`).
    #[arg(long, env = "COMPAT_STABLE_STATES", value_delimiter = ',', default_value = "active,current,stable")]
    pub compat_stable_states: Vec<String>,
    /// States meaning not released yet (Bodhi `pending`, pkgdb `Under
    /// Development`); they win over stable states.
    #[arg(
        long,
        env = "COMPAT_DEVELOPMENT_STATES",
        value_delimiter = ',',
        default_value = "branched,development,pending"
    )]
    pub compat_development_states: Vec<String>,
    /// Development states Bodhi calls `frozen`.
    #[arg(
        long,
        env = "COMPAT_FROZEN_STATES",
        value_delimiter = ',',
        default_value = "beta-freeze,final-freeze,frozen"
    )]
    pub compat_frozen_states: Vec<String>,
    /// States meaning end of life (Bodhi `archived`, pkgdb `EOL`).
    #[arg(long, env = "COMPAT_EOL_STATES", value_delimiter = ',', default_value = "archived,eol")]
    pub compat_eol_states: Vec<String>,
}

impl CompatArgs {
    /// Validates the names into a mapping; the error names the flag.
    pub fn mapping(&self) -> Result<CompatMapping, String> {
        let dist = |flag: &str, value: &str| Dist::parse(value.trim()).map_err(|e| format!("--{flag}: {e}"));
        let states = |flag: &str, values: &[String]| {
            values
                .iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| State::parse(v).map_err(|e| format!("--{flag}: {e}")))
                .collect::<Result<_, _>>()
        };
        Ok(CompatMapping {
            fedora: dist("compat-fedora-dist", &self.compat_fedora_dist)?,
            epel: dist("compat-epel-dist", &self.compat_epel_dist)?,
            stable: states("compat-stable-states", &self.compat_stable_states)?,
            development: states("compat-development-states", &self.compat_development_states)?,
            frozen: states("compat-frozen-states", &self.compat_frozen_states)?,
            eol: states("compat-eol-states", &self.compat_eol_states)?,
        })
    }
}

/// `GET /api/v1/compat/fedora-aliases`: what `fedora-distro-aliases`
/// returns, computed from the log instead of from Bodhi.
#[utoipa::path(
    get,
    path = "/compat/fedora-aliases",
    tag = "compat",
    operation_id = "fedora_aliases",
    params(AtParam),
    responses(
        (status = 200, description = "The alias sets of packit's fedora-distro-aliases; each release as its `Distro` object", body = FedoraAliases),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 422, description = "`at` is unreadable", body = ErrorBody),
    )
)]
pub async fn fedora_aliases_export(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let at = params.instant()?;
    let aliases = fedora_aliases(&state.projection.read(), &state.compat, at);
    json_response(&headers, &aliases)
}

/// `GET /api/v1/compat/pkgdb-collections`: the collections list of the
/// retired pkgdb, which GNOME Software reads to offer upgrades and to flag
/// an end-of-life system.
#[utoipa::path(
    get,
    path = "/compat/pkgdb-collections",
    tag = "compat",
    operation_id = "pkgdb_collections",
    params(AtParam),
    responses(
        (status = 200, description = "pkgdb's `/api/collections/` shape: Fedora and EPEL releases with `status` `Active`, `Under Development` or `EOL`", body = PkgdbCollections),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 422, description = "`at` is unreadable", body = ErrorBody),
    )
)]
pub async fn pkgdb_collections_export(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let at = params.instant()?;
    let collections = pkgdb_collections(&state.projection.read(), &state.compat, at);
    json_response(&headers, &collections)
}

/// `GET /api/v1/compat/endoflife-date/{dist}`: the dist's release cycles
/// as endoflife.date's API v1 answers a product.
#[utoipa::path(
    get,
    path = "/compat/endoflife-date/{dist}",
    tag = "compat",
    operation_id = "endoflife_date",
    params(("dist" = String, Path, description = "The dist, e.g. `fedora`"), AtParam),
    responses(
        (status = 200, description = "endoflife.date's API v1 product shape: `{schema_version, result: {name, label, category, releases}}`, each release with `name`, `codename`, `label`, `releaseDate`, `isLts`, `isEol`, `eolFrom`, `isMaintained`, `latest`; dates actual where known, planned otherwise (a release date is entering a stable state, an EOL entering an end-of-life state, as `--compat-*-states` say)", body = EndOfLifeAnswer),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = "The dist has neither events nor plans", body = ErrorBody),
        (status = 422, description = "`at` or the dist is unreadable", body = ErrorBody),
    )
)]
pub async fn endoflife_date_export(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(dist): Path<String>,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let dist = Dist::parse(&dist)?;
    let at = params.instant()?;
    let answer = endoflife_date(&state.projection.read(), &dist, &state.compat, at)
        .ok_or_else(|| ApiError::NotFound(format!("no events or plans for dist `{dist}`")))?;
    json_response(&headers, &answer)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        compat: CompatArgs,
    }

    #[test]
    fn flag_defaults_are_the_core_defaults() {
        let flags = Flags::try_parse_from(["x"]).unwrap();
        assert_eq!(flags.compat.mapping().unwrap(), CompatMapping::default());
    }

    #[test]
    fn lists_are_comma_separated_and_validated() {
        let flags = Flags::try_parse_from(["x", "--compat-stable-states", "ga, supported"]).unwrap();
        let names: Vec<String> = flags.compat.mapping().unwrap().stable.iter().map(|s| s.to_string()).collect();
        assert_eq!(names, ["ga", "supported"]);
        let flags = Flags::try_parse_from(["x", "--compat-epel-dist", " "]).unwrap();
        assert!(flags.compat.mapping().unwrap_err().contains("--compat-epel-dist"));
    }
}
