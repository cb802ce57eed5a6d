//! Drop-in exports for consumers of older Fedora services, computed from
//! the projection: `fedora-aliases` (what packit's `fedora-distro-aliases`
//! derives from Bodhi) and `pkgdb-collections` (the collections list GNOME
//! Software reads) and `endoflife-date` (endoflife.date's API shape, with
//! plans for what is still ahead), and the AppStream metainfo (GNOME
//! Software's upgrade and end-of-life notices). The mappings themselves are
//! pure and live in `app::model::{compat, endoflife, appstream}`; here are
//! the flags, the HTTP handlers and the XML writing.
//!
//! The AppStream file is published as
//! `/api/v1/compat/appstream/{dist}.metainfo.xml`, but axum's router takes
//! a parameter only as a whole path segment, so it is served at `{file}`
//! with the suffix stripped here, and [`describe_as_published`] moves its
//! description to the published path (as for the distro-info CSV).

use app::model::appstream::{metainfo, Metainfo};
use app::model::compat::{fedora_aliases, pkgdb_collections, CompatMapping, FedoraAliases, PkgdbCollections};
use app::model::endoflife::{endoflife_date, EndOfLifeAnswer};
use app::model::{Dist, State};
use axum::extract::{Path, State as AxumState};
use axum::http::HeaderMap;
use axum::response::Response;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::cache::{json_response, Encoded};
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

/// Where the router serves the AppStream export (`{file}` is
/// `{dist}.metainfo.xml`).
const APPSTREAM_SERVED: &str = "/api/v1/compat/appstream/{file}";
/// Where the AppStream export is published and described.
pub const APPSTREAM_PUBLISHED: &str = "/api/v1/compat/appstream/{dist}.metainfo.xml";
/// The file name's ending.
const METAINFO_SUFFIX: &str = ".metainfo.xml";

/// Moves the AppStream export's description from the path the router
/// serves to the published one, keeping the order of the paths.
pub fn describe_as_published(doc: &mut utoipa::openapi::OpenApi) {
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(
            |(path, item)| if path == APPSTREAM_SERVED { (APPSTREAM_PUBLISHED.to_owned(), item) } else { (path, item) },
        )
        .collect();
}

/// Writes `m` as a metainfo file, in the layout of Fedora's own (two-space
/// indent, one `<release>` per release). Every text and attribute goes
/// through quick-xml's escaping.
pub fn metainfo_xml(m: &Metainfo) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let paragraph = |w: &mut Writer<Vec<u8>>, text: &str| -> std::io::Result<()> {
        w.create_element("description")
            .write_inner_content(|w| w.create_element("p").write_text_content(BytesText::new(text)).map(|_| ()))?;
        Ok(())
    };
    w.create_element("component").with_attribute(("type", "operating-system")).write_inner_content(|w| {
        w.create_element("id").write_text_content(BytesText::new(&m.id))?;
        w.create_element("name").write_text_content(BytesText::new(&m.name))?;
        w.create_element("summary").write_text_content(BytesText::new(&m.summary))?;
        if let Some(text) = &m.description {
            paragraph(w, text)?;
        }
        if let Some(url) = &m.homepage {
            w.create_element("url").with_attribute(("type", "homepage")).write_text_content(BytesText::new(url))?;
        }
        w.create_element("metadata_license").write_text_content(BytesText::new(&m.metadata_license))?;
        if let Some(name) = &m.developer_name {
            w.create_element("developer_name").write_text_content(BytesText::new(name))?;
        }
        w.create_element("releases").write_inner_content(|w| {
            for r in &m.releases {
                let mut release = w
                    .create_element("release")
                    .with_attribute(("version", r.version.as_str()))
                    .with_attribute(("type", r.kind.as_str()))
                    .with_attribute(("date", r.date.as_str()));
                if let Some(date) = &r.date_eol {
                    release = release.with_attribute(("date_eol", date.as_str()));
                }
                match &r.description {
                    Some(text) => release.write_inner_content(|w| paragraph(w, text))?,
                    None => release.write_empty()?,
                };
            }
            Ok(())
        })?;
        Ok(())
    })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

/// `GET /api/v1/compat/appstream/{dist}.metainfo.xml`: the dist as an
/// AppStream `operating-system` component, the file GNOME Software reads
/// for upgrade and end-of-life notices.
#[utoipa::path(
    get,
    path = "/compat/appstream/{file}",
    tag = "compat",
    operation_id = "appstream_metainfo",
    params(
        ("dist" = String, Path, description = "The dist, e.g. `fedora` (the URL ends in `fedora.metainfo.xml`)", example = "fedora"),
        AtParam,
    ),
    responses(
        (status = 200, description = "An AppStream `<component type=\"operating-system\">`: `id`, `name`, `summary`, `description`, `url`, `metadata_license`, `developer_name` (Fedora's values for the Fedora dist; `appstream-*` dist properties override them), and `<releases>` newest first (Rawhide, then by version), each `<release version type date date_eol>`: `type` `stable` once it entered a stable state, else `development`; `date` the release date and `date_eol` the end of life, actual where known, planned otherwise (`date_eol` left out when unknown); Rawhide and a release in development whose release is not planned are dated by the day they first entered a state, and a release with no date at all is left out. Only releases named by a version, and Rawhide (release `0`)",
            content_type = "application/xml", body = String,
            example = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<component type=\"operating-system\">\n  <id>org.fedoraproject.fedora</id>\n  ...\n  <releases>\n    <release version=\"43\" type=\"stable\" date=\"2025-10-28\" date_eol=\"2026-12-09\"/>\n  </releases>\n</component>\n"),
        (status = 304, description = answers::NOT_MODIFIED),
        (status = 404, description = "The dist has neither events nor plans, or the name does not end in `.metainfo.xml`", body = ErrorBody),
        (status = 422, description = "`at` or the dist is unreadable, or an unknown parameter", body = ErrorBody),
    )
)]
pub async fn appstream_metainfo(
    AxumState(state): AxumState<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    ApiQuery(params): ApiQuery<AtParam>,
) -> Result<Response, ApiError> {
    let Some(name) = file.strip_suffix(METAINFO_SUFFIX) else {
        return Err(ApiError::NotFound("the export is at /api/v1/compat/appstream/{dist}.metainfo.xml".into()));
    };
    let dist = Dist::parse(name)?;
    let at = params.instant()?;
    let component = metainfo(&state.projection.read(), &dist, &state.compat, at)
        .ok_or_else(|| ApiError::NotFound(format!("no events or plans for dist `{dist}`")))?;
    let body = metainfo_xml(&component).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(Encoded::typed(body, "application/xml; charset=utf-8")?.respond(&headers))
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
    fn metainfo_text_is_escaped_and_unknown_eols_left_out() {
        use app::model::appstream::{MetainfoRelease, ReleaseType};
        let m = Metainfo {
            id: "org.example.<os>".into(),
            name: "A & B".into(),
            summary: "\"quoted\" </summary><x>".into(),
            description: Some("<script>alert(1)</script>".into()),
            homepage: None,
            metadata_license: "MIT".into(),
            developer_name: None,
            releases: vec![
                MetainfoRelease {
                    version: "1\"/><evil a=\"".into(),
                    kind: ReleaseType::Stable,
                    date: "2025-01-01".into(),
                    date_eol: None,
                    description: Some("Q&A".into()),
                },
                MetainfoRelease {
                    version: "Rawhide".into(),
                    kind: ReleaseType::Development,
                    date: "2003-01-01".into(),
                    date_eol: None,
                    description: None,
                },
            ],
        };
        let xml = String::from_utf8(metainfo_xml(&m).unwrap()).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<component type=\"operating-system\">"));
        assert!(xml.contains("<id>org.example.&lt;os&gt;</id>"), "{xml}");
        assert!(xml.contains("<name>A &amp; B</name>"), "{xml}");
        assert!(!xml.contains("<script>") && !xml.contains("<evil") && !xml.contains("<x>"), "{xml}");
        assert!(xml.contains("version=\"1&quot;/&gt;&lt;evil a=&quot;\""), "{xml}");
        assert!(xml.contains("<p>Q&amp;A</p>"), "{xml}");
        assert!(xml.contains("<release version=\"Rawhide\" type=\"development\" date=\"2003-01-01\"/>"), "{xml}");
        assert!(!xml.contains("date_eol"), "{xml}");
        // It reads back: the texts and attributes are the originals.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let (mut text, mut versions) = (String::new(), Vec::new());
        loop {
            match reader.read_event().unwrap() {
                Event::Text(t) => text.push_str(&t.decode().unwrap()),
                // quick-xml hands entity references over apart from the text.
                Event::GeneralRef(r) => {
                    text.push_str(&quick_xml::escape::unescape(&format!("&{};", r.decode().unwrap())).unwrap())
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"release" => {
                    let version = e.try_get_attribute("version").unwrap().unwrap();
                    versions.push(
                        version
                            .decoded_and_normalized_value(quick_xml::XmlVersion::Explicit1_0, reader.decoder())
                            .unwrap()
                            .into_owned(),
                    );
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(text.contains("\"quoted\" </summary><x>"), "{text}");
        assert!(text.contains("<script>alert(1)</script>"), "{text}");
        assert_eq!(versions, ["1\"/><evil a=\"", "Rawhide"]);
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
