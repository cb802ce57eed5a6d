//! The web pages rendered on the server through the real router, over the
//! real Fedora, Debian and Ubuntu history: key content, time travel, the
//! matrix agreeing with the JSON view, escaping, and error statuses.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::StatusCode;
use chrono::Utc;
use common::*;

async fn app_with_history() -> (TestDb, TestApp) {
    let db = sqlite_db();
    let store = server::store::Store::connect(&db.url).await.unwrap();
    let writer = server::log::LogWriter::open(store.clone()).await.unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    for (dist, file) in [("fedora", "fedora-releases.csv"), ("debian", "debian.csv"), ("ubuntu", "ubuntu.csv")] {
        let dist = app::model::Dist::parse(dist).unwrap();
        server::history::import(&writer, &dist, &data.join(file), Utc::now()).await.unwrap();
    }
    drop(writer);
    store.close().await;
    let app = TestApp::start(&db).await;
    (db, app)
}

/// `release → states it is in`, read from the matrix HTML of one dist.
fn matrix_cells(html: &str, dist: &str) -> BTreeMap<String, Vec<String>> {
    let section = html.split(&format!("data-dist=\"{dist}\"")).nth(1).expect("dist section");
    let section = section.split("</section>").next().unwrap();
    let mut out = BTreeMap::new();
    for row in section.split("<tr data-release=\"").skip(1) {
        let release = row.split('"').next().unwrap().to_owned();
        let states: Vec<String> = row
            .split("data-state=\"")
            .skip(1)
            .filter(|cell| cell.contains("data-in=\"true\""))
            .map(|cell| cell.split('"').next().unwrap().to_owned())
            .collect();
        if !states.is_empty() {
            // Columns come in lifecycle order; the JSON view sorts by name.
            let mut states = states;
            states.sort();
            out.insert(release, states);
        }
    }
    out
}

#[tokio::test]
async fn matrix_agrees_with_the_json_view_now_and_in_the_past() {
    let (_db, app) = app_with_history().await;
    for at in ["", "?at=2021-03-01", "?at=2010-06-30", "?at=2024-11-01T12:00:00Z"] {
        for dist in ["fedora", "debian", "ubuntu"] {
            let page = app.get(&format!("/dists/{dist}{at}")).await;
            assert_eq!(page.status, StatusCode::OK);
            let json = app.get(&format!("/api/v1/views/{dist}/states-by-release{at}")).await.json();
            let expected: BTreeMap<String, Vec<String>> = serde_json::from_value(json).unwrap();
            assert_eq!(matrix_cells(&page.text(), dist), expected, "{dist}{at}");
        }
    }
    let html = app.get("/dists/fedora?at=2021-03-01").await.text();
    assert!(html.contains("As of <strong>2021-03-01</strong>"), "banner missing");
    assert!(html.contains("href=\"/dists/fedora\">Back to now"));
    // F34 was released on 2021-04-27: not there yet on 2021-03-01.
    assert!(!html.contains("data-release=\"34\""));
    assert_eq!(matrix_cells(&html, "fedora")["33"], vec!["stable"]);

    let home = app.get("/").await.text();
    for dist in ["fedora", "debian", "ubuntu"] {
        assert!(home.contains(&format!("data-dist=\"{dist}\"")), "{dist} missing on /");
    }
}

#[tokio::test]
async fn release_page_shows_states_history_and_events() {
    let (_db, app) = app_with_history().await;
    let html = app.get("/dists/fedora/releases/34").await.text();
    assert!(html.contains("<h1>Fedora 34</h1>"));
    assert!(html.contains("In eol (since 2022-06-07)."), "{html}");
    assert!(html.contains("data-state=\"stable\""));
    assert!(html.contains(">2021-04-27</a>"), "stay with its entering event");
    assert!(html.contains("entered stable"));
    let past = app.get("/dists/fedora/releases/34?at=2021-05-01").await.text();
    assert!(past.contains("In stable (since 2021-04-27)."));
    assert_eq!(app.get("/dists/fedora/releases/999").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn calendar_month_and_year() {
    let (_db, app) = app_with_history().await;
    let html = app.get("/calendar?year=2021&month=4&dist=fedora").await.text();
    assert!(html.contains("April 2021"));
    assert!(html.contains("Fedora 34 entered stable"));
    assert!(html.contains("href=\"/calendar?year=2021&amp;month=3&amp;dist=fedora\""), "previous month link");
    assert!(html.contains("href=\"/calendar?year=2021&amp;month=5&amp;dist=fedora\""), "next month link");
    let december = app.get("/calendar?year=2020&month=12").await.text();
    assert!(december.contains("href=\"/calendar?year=2021&amp;month=1\""), "December → January");
    assert!(!app.get("/calendar?year=2021&month=4&dist=debian").await.text().contains("Fedora 34"));

    let year = app.get("/calendar?year=2021&view=year&dist=fedora").await.text();
    assert!(year.contains("<svg"));
    assert!(year.contains("Fedora 34 stable"));
    assert!(year.contains("Fedora 34 stable: 2021-04-27 → beyond 2021"), "bar tooltip");
    assert!(year.contains("more stays that lasted the whole year"));

    assert_eq!(app.get("/calendar?month=13").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/calendar?view=decade").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn event_log_filters_and_pages() {
    let (_db, app) = app_with_history().await;
    let html = app.get("/events?dist=debian").await.text();
    assert!(html.contains("Debian"));
    assert!(!html.contains("Fedora 3"));
    assert!(html.contains("rel=\"next\""), "debian has more than one page of events");
    let older = html.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let older = older.split('"').next().unwrap().replace("&amp;", "&");
    assert!(older.starts_with("/events?dist=debian&before_id="), "{older}");
    let page2 = app.get(&older).await;
    assert_eq!(page2.status, StatusCode::OK);
    assert!(page2.text().contains("Newest"));
    let filtered = app.get("/events?dist=fedora&release=34&state=stable").await.text();
    assert_eq!(filtered.matches(" data-id=").count(), 2, "{filtered}");
    assert!(filtered.contains("<title>Event log: Fedora 34, stable · releasetracker</title>"), "{filtered}");
    assert_eq!(app.get("/events?since=yesterday").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/events?order=sideways").await.status, StatusCode::BAD_REQUEST);

    // A move at one instant is one row; provenance is on the event page.
    let f34 = app.get("/events?dist=fedora&release=34").await.text();
    assert_eq!(f34.matches(" data-id=").count(), 2, "{f34}");
    assert!(f34.contains("stable → eol"), "{f34}");
    assert!(!f34.contains("import-history"), "no provenance column");

    // People's spelling and empty fields are answered with the log's own link.
    let typed = app.get("/events?dist=Fedora&release=F34&state=Stable&since=&until=").await;
    assert_eq!(typed.status, StatusCode::FOUND);
    assert_eq!(typed.headers[axum::http::header::LOCATION], "/events?dist=fedora&release=34&state=stable");
    let spelled = app.get("/events?release=Fedora+40&order=recorded").await;
    assert_eq!(spelled.headers[axum::http::header::LOCATION], "/events?release=40&order=recorded");
    // A value that matches nothing is kept, with the names that exist.
    let unknown = app.get("/events?dist=fedora&state=frozen").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.text().contains("No state is called “frozen”. Known: "), "{}", unknown.text());
    assert!(unknown.text().contains("<option value=\"stable\">"), "the datalist offers the states");

    // Recording order on request; by when it happened by default.
    let dates =
        |html: &str| -> Vec<String> { html.split("<time datetime=\"").skip(1).map(|s| s[..10].to_owned()).collect() };
    let happened = dates(&app.get("/events?dist=debian").await.text());
    let mut sorted = happened.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(happened, sorted, "newest first by when it happened");
    let recorded = app.get("/events?dist=debian&order=recorded").await.text();
    assert!(recorded.contains("Newest recorded first"));
}

#[tokio::test]
async fn event_page_escapes_freeform_text_and_shows_retraction() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("<b>bot</b>").await;
    let body = serde_json::json!({"dist":"fedora","release":"44","state":"<script>alert(1)</script>","reached":true,
        "note":"<img src=x onerror=alert(1)> & more","link":"https://example.org/?a=1&b=\"><script>"})
    .to_string();
    let e = app.post_json("/api/v1/events", Some(&t), &body).await.json();
    let id = e["id"].as_i64().unwrap();
    app.post_json(&format!("/api/v1/events/{id}/retract"), Some(&t), r#"{"reason":"<i>oops</i>"}"#).await;
    for path in [
        format!("/events/{id}"),
        "/events".to_owned(),
        "/".to_owned(),
        "/dists/fedora/releases/44".to_owned(),
        "/calendar".to_owned(),
    ] {
        let html = app.get(&path).await.text();
        assert!(!html.contains("<script>alert(1)</script>"), "{path} renders raw markup");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("<b>bot</b>"), "{path}");
    }
    let html = app.get(&format!("/events/{id}")).await.text();
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; more"));
    assert!(html.contains("Retracted by &lt;b&gt;bot&lt;/b&gt;"));
    assert!(html.contains("&lt;i&gt;oops&lt;/i&gt;"));
    assert!(html.contains("it was not in"));
}

#[tokio::test]
async fn unknown_things_are_404_and_bad_dates_400() {
    let (_db, app) = app_with_history().await;
    for path in ["/dists/nope", "/events/999999", "/events/abc", "/no/such/page", "/dists/fedora/releases/nope"] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.text().contains("Not found"));
    }
    let r = app.get("/dists/fedora?at=garbage").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Could not read the date"));
    assert!(r.text().contains("data-dist=\"fedora\""), "the page still shows now");
}

#[tokio::test]
async fn import_history_twice_adds_nothing() {
    let (db, app) = app_with_history().await;
    let before = app.stored_events().await;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let dist = app::model::Dist::parse("fedora").unwrap();
    let summary =
        server::history::import(&app.state.writer, &dist, &data.join("fedora-releases.csv"), Utc::now()).await.unwrap();
    assert_eq!(summary.added, 0);
    assert_eq!(summary.properties, 0, "imported properties are not recorded twice");
    assert!(summary.present > 100);
    assert_eq!(app.stored_events().await, before);
    // Every imported event links to its source.
    let events = app.store.events_after(0, i64::MAX).await.unwrap();
    assert!(events.iter().all(|e| e.link.as_deref().is_some_and(|l| l.starts_with("https://"))));
    drop(db);
}

#[tokio::test]
async fn release_page_shows_properties_escaped_and_as_of() {
    let (_db, app) = app_with_history().await;
    // Imported from distro-info-data, known from the release's creation.
    let html = app.get("/dists/debian/releases/12").await.text();
    assert!(html.contains("<h2>Properties</h2>"), "{html}");
    assert!(html.contains("<tr data-key=\"codename\"><th scope=\"row\">codename</th><td>Bookworm</td></tr>"), "{html}");
    let before = app.get("/dists/debian/releases/12?at=2021-08-13").await.text();
    assert!(!before.contains("Bookworm"), "not yet known before 2021-08-14");
    let t = app.token("editor").await;
    let r =
        app.put_json("/api/v1/dists/debian/properties", Some(&t), r#"{"name":"<script>alert(1)</script> & co"}"#).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .put_json(
            "/api/v1/dists/debian/releases/12/properties",
            Some(&t),
            r#"{"codename":"<img src=x onerror=alert(1)>"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = app.get("/dists/debian/releases/12").await.text();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>"), "{html}");
    assert!(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</td>"), "dist properties shown");
    assert!(!html.contains("data-key=\"version\""), "PUT replaced the whole set");
    // Fedora's table gives a name (and no codename for 34).
    let fedora = app.get("/dists/fedora/releases/34").await.text();
    assert!(fedora.contains("<td>Fedora Linux 34</td>"), "{fedora}");
    assert!(!fedora.contains("data-key=\"codename\""));
}

#[tokio::test]
async fn api_overview_is_linked_from_every_page() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let home = app.get("/").await.text();
    assert!(home.contains("href=\"/api\">API docs"));
    let page = app.get("/api").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("<h1>JSON API</h1>"));
    assert!(html.contains("/api/v1/views/{dist}/states-by-release"));
    assert!(html.contains("href=\"/api/v1/openapi.json\""), "the overview links the OpenAPI description");
    // The API itself keeps its JSON 404 under /api/v1.
    assert_eq!(app.get("/api/v1/nothing").await.error_code(), "not_found");
}

#[tokio::test]
async fn status_page_shows_the_outbox_backlog() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let html = app.get("/status").await.text();
    assert!(html.contains("off (no AMQP_URL)"), "{html}");
    assert!(html.contains("not counted yet"));

    let t = app.token("t").await;
    for release in ["43", "44"] {
        app.post_json("/api/v1/events", Some(&t), &event_body(release, "branched", true, "2026-02-10T14:00:00Z")).await;
    }
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(server::bus::track_backlog(
        app.store.clone(),
        app.state.bus.clone(),
        std::time::Duration::from_millis(20),
        stop.clone(),
    ));
    let started = std::time::Instant::now();
    loop {
        let html = app.get("/status").await.text();
        if html.contains("data-backlog=\"2\"") {
            assert!(html.contains("2 messages waiting"));
            assert!(html.contains("2 events, last id 2"));
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "backlog never counted: {html}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.cancel();
    assert!(app.get("/").await.text().contains("href=\"/status\">Status"));
}

#[tokio::test]
async fn every_page_advertises_the_feed_and_the_calendar_links_its_ics() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    app.post_json("/api/v1/events", Some(&t), &event_body("44", "branched", true, "2026-02-10T14:00:00Z")).await;
    let alternate =
        r#"<link rel="alternate" type="application/atom+xml" title="releasetracker: all events" href="/feed.atom">"#;
    for path in [
        "/",
        "/dists/fedora",
        "/dists/fedora/releases/44",
        "/calendar",
        "/calendar?view=year",
        "/events",
        "/events/1",
        "/api",
        "/status",
        "/no/such/page",
    ] {
        let html = app.get(path).await.text();
        let head = html.split("</head>").next().unwrap();
        assert!(head.contains(alternate), "{path}: no feed link in the head: {head}");
        assert!(
            html.contains(r#"<a href="/feed.atom" type="application/atom+xml">Feed</a>"#),
            "{path}: no feed link in the footer"
        );
        assert!(
            html.contains(r#"<a href="/calendar.ics" type="text/calendar">iCalendar</a>"#),
            "{path}: no calendar link in the footer"
        );
    }
    // The dist page also offers its own feed, the calendar its .ics.
    let html = app.get("/dists/fedora").await.text();
    let head = html.split("</head>").next().unwrap();
    assert!(head.contains(r#"href="/dists/fedora/feed.atom""#), "{head}");
    assert!(html.contains(r#"<a href="/dists/fedora/feed.atom" type="application/atom+xml">Atom feed of Fedora</a>"#));
    assert!(!app.get("/").await.text().contains("/dists/fedora/feed.atom"));
    let html = app.get("/calendar").await.text();
    assert!(html.contains(r#"<a href="/calendar.ics" type="text/calendar" data-ics="true">"#), "{html}");
    let html = app.get("/calendar?dist=fedora").await.text();
    assert!(html.contains(r#"<a href="/calendar.ics?dist=fedora" type="text/calendar" data-ics="true">"#));
    assert!(html.split("</head>").next().unwrap().contains(r#"type="text/calendar""#));
    // And the links lead somewhere.
    assert_eq!(app.get("/feed.atom").await.status, StatusCode::OK);
    assert_eq!(app.get("/dists/fedora/feed.atom").await.status, StatusCode::OK);
    assert_eq!(app.get("/calendar.ics?dist=fedora").await.status, StatusCode::OK);
}

/// A page whose server data was not provided (a wiring fault) answers a
/// readable 500 page naming what is missing, instead of panicking.
#[tokio::test]
async fn pages_without_server_data_answer_a_readable_500() {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use leptos_axum::{generate_route_list, LeptosRoutes};
    use tower::ServiceExt;

    let options = server::leptos_options("target/site", "127.0.0.1:0".parse().unwrap());
    let shell_options = options.clone();
    let router: axum::Router = axum::Router::new()
        .leptos_routes(&options, generate_route_list(app::App), move || app::shell(shell_options.clone()))
        .with_state(options);
    for (path, missing) in
        [("/events", "the event log"), ("/dists/fedora", "the event log"), ("/status", "the status figures")]
    {
        let response = router.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains(&format!("The server did not provide {missing}.")), "{path}: {html}");
    }
}

/// The lifecycle chart over the real history: a row per release with
/// facts solid and plans (the table's announced EOLs, a release that is
/// only planned) apart, a line for today, a chosen range, escaped names,
/// and readable errors for a range it cannot draw.
#[tokio::test]
async fn lifecycle_chart_shows_facts_plans_and_today() {
    let (_db, app) = app_with_history().await;
    let token = app.token("releng").await;
    let plan = serde_json::json!({"dist": "fedora", "release": "<i>46</i>", "state": "branched", "reached": true,
        "at": (Utc::now() + chrono::Duration::days(300)).to_rfc3339()});
    assert_eq!(app.post_json("/api/v1/plans", Some(&token), &plan.to_string()).await.status, StatusCode::CREATED);

    let r = app.get("/calendar?view=lifecycle&dist=fedora").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    let year = Utc::now().format("%Y").to_string().parse::<i32>().unwrap();
    assert!(html.contains(&format!("Release lifecycles {}–{}", year - 5, year + 2)), "default range");
    assert!(html.contains("class=\"today\""), "a line for today");
    // Fedora 43: stable until now as a fact, then to its announced EOL as a plan.
    let row = |release: &str| {
        let start = html
            .find(&format!("<g data-release=\"{release}\""))
            .unwrap_or_else(|| panic!("row {release}: {}", &html[html.find("lifecycle-chart").unwrap_or(0)..][..3000]));
        html[start..].split("</g>").next().unwrap().to_owned()
    };
    let f43 = row("43");
    assert!(f43.contains("data-state=\"stable\" data-planned=\"false\""), "{f43}");
    assert!(f43.contains("data-state=\"stable\" data-planned=\"true\""), "{f43}");
    assert!(f43.contains("→ 2026-12-09 (planned)"), "{f43}");
    assert!(f43.contains("href=\"/dists/fedora/releases/43\""));
    // A release with plans only has a row; its name is escaped.
    let planned = row("&lt;i&gt;46&lt;/i&gt;");
    assert!(planned.contains("data-planned=\"true\"") && !planned.contains("data-planned=\"false\""), "{planned}");
    assert!(!html.contains("<i>46</i>"));
    // A chosen range: 2005–2006 has Fedora 4 and 5, not 43.
    let old = app.get("/calendar?view=lifecycle&dist=fedora&from=2005&to=2006").await.text();
    assert!(old.contains("data-release=\"4\"") && !old.contains("data-release=\"43\""));
    assert!(!old.contains("class=\"today\""), "today is outside the range");
    assert!(old.contains("href=\"/calendar?view=lifecycle&amp;from=2004&amp;to=2005&amp;dist=fedora\""), "pager");
    // Ranges it cannot draw are refused in words.
    for (query, words) in [
        ("from=2030&to=2020", "from: must not be after to"),
        ("from=abc", "from: must be a year between 1900 and 2200"),
        ("from=1950&to=2100", "to: at most 40 years"),
    ] {
        let r = app.get(&format!("/calendar?view=lifecycle&{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(r.text().contains(words), "{query}");
    }
    // Linked from the main navigation and the calendar.
    assert!(app.get("/").await.text().contains("href=\"/calendar?view=lifecycle\""));
}

#[tokio::test]
async fn a_dist_property_orders_the_matrix_columns() {
    let db = sqlite_db();
    let app = TestApp::start(&db).await;
    let t = app.token("t").await;
    for (release, state, at) in [("40", "branched", "2024-02-13T00:00:00Z"), ("40", "stable", "2024-04-23T00:00:00Z")] {
        let r = app.post_json("/api/v1/events", Some(&t), &event_body(release, state, true, at)).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let columns = |html: String| -> Vec<String> {
        let head = html.split("<thead>").nth(1).unwrap().split("</thead>").next().unwrap().to_owned();
        head.split("<th scope=\"col\"")
            .skip(2)
            .map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(columns(app.get("/dists/fedora").await.text()), vec!["branched", "stable"], "lifecycle order");
    let r = app.put_json("/api/v1/dists/fedora/properties", Some(&t), r#"{"state_order": "stable, branched"}"#).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(columns(app.get("/dists/fedora").await.text()), vec!["stable", "branched"], "as the dist says");
    let release = app.get("/dists/fedora/releases/40").await.text();
    assert!(release.find("data-state=\"stable\"").unwrap() < release.find("data-state=\"branched\"").unwrap());
}
