//! The release calendar (`/calendar`): a month grid of events with
//! previous/next month and a dist filter, a year view that draws each
//! release's stays in states as bars, and the lifecycle chart: every
//! release across a range of years, facts and plans apart, with a line for
//! today (SVG rendered on the server, readable without JavaScript).

pub mod data;

use chrono::{Datelike, NaiveDate, NaiveTime, Utc};
use leptos::prelude::*;
use leptos_meta::{Link, Title};

use crate::links::{self, CalendarPage as CalendarLink};
use crate::matrix::data::state_label;
use crate::model::Dist;
use crate::ui::format::{day, dist_title, release_title, verb, when};
use crate::ui::{query, set_status, ErrorPage, InputError};
use data::{
    lifecycle_rows, month_grid, nearest_events, next_month, previous_month, transitions, year_rows, LifecycleRow,
    MonthGrid, YearRow,
};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// What the query string asks for.
struct CalendarQuery {
    year: i32,
    month: u32,
    dist: Option<Dist>,
    year_view: bool,
    /// `view=lifecycle`: the years from and to (inclusive).
    lifecycle: Option<(i32, i32)>,
}

/// The widest range the lifecycle chart draws, in years.
const MAX_LIFECYCLE_YEARS: i32 = 40;

/// A year of the query, within what the calendar shows.
fn year_param(name: &str, default: i32) -> Result<i32, String> {
    match query(name) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) => v
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .ok_or_else(|| format!("{name}: must be a year between 1900 and 2200")),
    }
}

fn read_query(today: NaiveDate) -> Result<CalendarQuery, String> {
    let year = match query("year") {
        None => today.year(),
        Some(v) => {
            v.parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)).ok_or("year: must be between 1900 and 2200")?
        }
    };
    let month = match query("month") {
        None => today.month(),
        Some(v) => v.parse::<u32>().ok().filter(|m| (1..=12).contains(m)).ok_or("month: must be between 1 and 12")?,
    };
    let dist = query("dist").map(|d| Dist::parse(&d)).transpose().map_err(|e| e.to_string())?;
    let (year_view, lifecycle) = match query("view").as_deref() {
        None | Some("month") => (false, None),
        Some("year") => (true, None),
        Some("lifecycle") => {
            let from = year_param("from", today.year() - 5)?;
            let to = year_param("to", today.year() + 2)?;
            if from > to {
                return Err("from: must not be after to".to_owned());
            }
            if to - from >= MAX_LIFECYCLE_YEARS {
                return Err(format!("to: at most {MAX_LIFECYCLE_YEARS} years from from"));
            }
            (false, Some((from, to)))
        }
        Some(_) => return Err("view: must be month, year or lifecycle".to_owned()),
    };
    Ok(CalendarQuery { year, month, dist, year_view, lifecycle })
}

/// A page of the calendar.
fn href(year: i32, month: Option<u32>, dist: Option<&Dist>, year_view: bool) -> String {
    links::calendar(CalendarLink { year, month, dist, year_view })
}

/// `/calendar?year=&month=&dist=&view=month|year`.
#[component]
pub fn CalendarPage() -> impl IntoView {
    let now = Utc::now();
    let today = now.date_naive();
    let (q, error) = match read_query(today) {
        Ok(q) => (q, None),
        Err(e) => {
            set_status(400);
            let q = CalendarQuery {
                year: today.year(),
                month: today.month(),
                dist: None,
                year_view: false,
                lifecycle: None,
            };
            (q, Some(e))
        }
    };
    let log = match crate::server_data::log() {
        Ok(log) => log,
        Err(error) => return view! { <ErrorPage error/> }.into_any(),
    };
    let dists: Vec<Dist> = log.read().dists().into_iter().map(|d| d.dist).collect();
    let first = NaiveDate::from_ymd_opt(q.year, q.month, 1).unwrap_or(today);
    let body = if let Some((from, to)) = q.lifecycle {
        let start = NaiveDate::from_ymd_opt(from, 1, 1).unwrap_or(first).and_time(NaiveTime::MIN).and_utc();
        let end = NaiveDate::from_ymd_opt(to + 1, 1, 1).unwrap_or(first).and_time(NaiveTime::MIN).and_utc();
        let rows = {
            let log = log.read();
            lifecycle_rows(&log, q.dist.as_ref(), start, end, now, crate::server_data::plan_grace())
        };
        let shift = |by: i32| links::lifecycle(q.dist.as_ref(), from + by, to + by);
        view! {
            <nav class="pager" aria-label="Years">
                <a href=shift(-1) rel="prev">{format!("← {}–{}", from - 1, to - 1)}</a>
                <a href=shift(1) rel="next">{format!("{}–{} →", from + 1, to + 1)}</a>
                <a href=links::lifecycle(q.dist.as_ref(), today.year() - 5, today.year() + 2)>"Around today"</a>
                <a href=href(today.year(), Some(today.month()), q.dist.as_ref(), false)>"Month view"</a>
            </nav>
            <h2>{format!("Lifecycles {from}–{to}")}</h2>
            <LifecycleChart rows from=start to=end now/>
        }
        .into_any()
    } else if q.year_view {
        let start = NaiveDate::from_ymd_opt(q.year, 1, 1).unwrap_or(first);
        let end = NaiveDate::from_ymd_opt(q.year + 1, 1, 1).unwrap_or(first);
        let rows = {
            let log = log.read();
            year_rows(
                &log,
                q.dist.as_ref(),
                start.and_time(NaiveTime::MIN).and_utc(),
                end.and_time(NaiveTime::MIN).and_utc(),
                now,
            )
        };
        // Stays that neither began nor ended this year (old releases long
        // at end of life) would bury the year's changes: fold them away.
        let (year_start, year_end) = (start.and_time(NaiveTime::MIN).and_utc(), end.and_time(NaiveTime::MIN).and_utc());
        let (changed, unchanged): (Vec<YearRow>, Vec<YearRow>) = rows
            .into_iter()
            .partition(|r| r.bars.iter().any(|(from, to, open)| *from > year_start || (*to < year_end && !open)));
        view! {
            <nav class="pager" aria-label="Years">
                <a href=href(q.year - 1, None, q.dist.as_ref(), true) rel="prev">{format!("← {}", q.year - 1)}</a>
                <a href=href(q.year + 1, None, q.dist.as_ref(), true) rel="next">{format!("{} →", q.year + 1)}</a>
                <a href=href(q.year, Some(q.month), q.dist.as_ref(), false)>"Month view"</a>
                <a href=links::lifecycle(q.dist.as_ref(), today.year() - 5, today.year() + 2)>"Lifecycle chart"</a>
            </nav>
            <h2>{q.year}</h2>
            <YearChart rows=changed year=q.year start=start id="year-chart"/>
            {(!unchanged.is_empty()).then(|| view! {
                <details class="unchanged">
                    <summary>{format!("{} more stays that lasted the whole year", unchanged.len())}</summary>
                    <YearChart rows=unchanged year=q.year start=start id="year-chart-unchanged"/>
                </details>
            })}
        }
        .into_any()
    } else {
        let (prev, next) = (previous_month(first), next_month(first));
        let (grid, (before, after)) = {
            let log = log.read();
            let start = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
            (
                month_grid(&log, q.dist.as_ref(), first, chrono::Utc::now(), crate::server_data::plan_grace()),
                nearest_events(&log, q.dist.as_ref(), start(first), start(next)),
            )
        };
        let month_of = |t: chrono::DateTime<Utc>| href(t.year(), Some(t.month()), q.dist.as_ref(), false);
        let month_name = |t: chrono::DateTime<Utc>| format!("{} {}", MONTHS[t.month0() as usize], t.year());
        let empty = grid.weeks.iter().flatten().flatten().all(|c| c.events.is_empty() && c.planned.is_empty());
        let pointers = empty.then(|| {
            let title = month_name(first.and_time(NaiveTime::MIN).and_utc());
            view! {
                <p class="empty nearest">
                    {format!("Nothing happened in {title}. ")}
                    {match (before, after) {
                        (None, None) => view! { "No event is recorded yet." }.into_any(),
                        _ => view! {
                            "The nearest events: "
                            {before.map(|t| view! { <a href=month_of(t)>{format!("{} (before)", month_name(t))}</a> })}
                            {(before.is_some() && after.is_some()).then_some(" and ")}
                            {after.map(|t| view! { <a href=month_of(t)>{format!("{} (after)", month_name(t))}</a> })}
                            "."
                        }.into_any(),
                    }}
                </p>
            }
        });
        view! {
            <nav class="pager" aria-label="Months">
                {before.map(|t| view! { <a href=month_of(t) class="jump">{format!("⇤ Previous event ({})", day(&t))}</a> })}
                <a href=href(prev.year(), Some(prev.month()), q.dist.as_ref(), false) rel="prev">"← Previous month"</a>
                <a href=href(next.year(), Some(next.month()), q.dist.as_ref(), false) rel="next">"Next month →"</a>
                {after.map(|t| view! { <a href=month_of(t) class="jump">{format!("Next event ({}) ⇥", day(&t))}</a> })}
                <a href=href(today.year(), Some(today.month()), q.dist.as_ref(), false)>"Today"</a>
                <a href=href(q.year, None, q.dist.as_ref(), true)>"Year view"</a>
                <a href=links::lifecycle(q.dist.as_ref(), today.year() - 5, today.year() + 2)>"Lifecycle chart"</a>
            </nav>
            <MonthTable grid today dists=dists.clone()/>
            {pointers}
        }
        .into_any()
    };
    let chosen = q.dist.as_ref().map(ToString::to_string);
    let ics = links::calendar_ics(q.dist.as_ref());
    let shown = match q.lifecycle {
        Some((from, to)) => format!("lifecycles {from}–{to}"),
        None if q.year_view => q.year.to_string(),
        None => format!("{} {}", MONTHS[first.month0() as usize], first.year()),
    };
    let title = match &q.dist {
        Some(d) => format!("Calendar: {shown}, {} · releasetracker", dist_title(d)),
        None => format!("Calendar: {shown} · releasetracker"),
    };
    view! {
        <Title text=title/>
        <Link rel="alternate" type_="text/calendar" title="releasetracker calendar" href=ics.clone()/>
        <h1>"Release calendar"</h1>
        <p class="feeds">
            <a href=ics type="text/calendar" data-ics="true">"Subscribe in your calendar (iCalendar)"</a>
            " — every event as a calendar entry; retracted ones show as cancelled."
        </p>
        {error.map(|e| view! { <InputError message=format!("Could not read the calendar request: {e}")/> })}
        <form class="filters" method="get" action=links::calendar_now()>
            {(q.lifecycle.is_none() && !q.year_view).then(|| view! {
                <label>"Month "
                    <select name="month">
                        {MONTHS.iter().zip(1u32..).map(|(name, m)| view! {
                            <option value=m selected=m == q.month>{*name}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            {q.lifecycle.is_none().then(|| view! {
                <label>"Year "<input type="number" name="year" min="1900" max="2200" value=q.year inputmode="numeric" class="year"/></label>
            })}
            {q.year_view.then(|| view! { <input type="hidden" name="view" value="year"/> })}
            {q.lifecycle.map(|(from, to)| view! {
                <input type="hidden" name="view" value="lifecycle"/>
                <label>"From "<input type="number" name="from" min="1900" max="2200" value=from inputmode="numeric"/></label>
                <label>"to "<input type="number" name="to" min="1900" max="2200" value=to inputmode="numeric"/></label>
            })}
            <label>"Dist "
                <select name="dist">
                    <option value="">"all"</option>
                    {dists.iter().map(|d| {
                        let name = d.to_string();
                        let selected = chosen.as_deref() == Some(name.as_str());
                        view! { <option value=name.clone() selected=selected>{dist_title(d)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">"Show"</button>
        </form>
        {body}
    }
    .into_any()
}

/// The month grid.
#[component]
fn MonthTable(
    grid: MonthGrid,
    today: NaiveDate,
    /// Every dist, in order: an entry's colour chip is its dist's place.
    dists: Vec<Dist>,
) -> impl IntoView {
    let legend: Vec<(String, String)> =
        dists.iter().enumerate().map(|(i, d)| (format!("chip chip-{}", i % 6), dist_title(d))).collect();
    let chip = move |dist: &Dist| format!("chip chip-{}", dists.iter().position(|d| d == dist).unwrap_or(0) % 6);
    let title = format!("{} {}", MONTHS[grid.first.month0() as usize], grid.first.year());
    view! {
        <h2 id="month-title">{title.clone()}</h2>
        <p class="legend">
            {legend.into_iter().map(|(class, name)| view! {
                <span class="legend-item"><span class=class aria-hidden="true"></span>" "{name}</span>
            }).collect_view()}
        </p>
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="month-title">
            <table class="month" aria-labelledby="month-title" data-month=grid.first.format("%Y-%m").to_string()>
                <thead><tr>{WEEKDAYS.iter().map(|d| view! { <th scope="col">{*d}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {grid.weeks.into_iter().map(|week| view! {
                        <tr>
                            {week.into_iter().map(|cell| match cell {
                                None => view! { <td class="pad"></td> }.into_any(),
                                Some(c) => {
                                    let is_today = c.date == today;
                                    let quiet = c.events.is_empty() && c.planned.is_empty();
                                    view! {
                                        <td class:today=is_today data-date=c.date.to_string()
                                            data-weekday=WEEKDAYS[c.date.weekday().num_days_from_monday() as usize]
                                            class:quiet=quiet>
                                            <span class="day-number">{c.date.day()}</span>
                                            {is_today.then(|| view! { <span class="today-badge">"today"</span> })}
                                            <ul>
                                                {transitions(&c.events).into_iter().map(|t| {
                                                    let name = release_title(&t.first.dist, &t.first.release);
                                                    let label = match (t.left.is_empty(), t.entered.is_empty()) {
                                                        (false, false) => format!("{name}: {} → {}", join(&t.left), join(&t.entered)),
                                                        (_, false) => format!("{name} {} {}", verb(true), join(&t.entered)),
                                                        _ => format!("{name} {} {}", verb(false), join(&t.left)),
                                                    };
                                                    let ids = t.ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
                                                    view! {
                                                        <li class:retracted=t.retracted data-ids=ids>
                                                            <span class=chip(&t.first.dist) aria-hidden="true"></span>
                                                            <a href=links::event(t.first.id) title=when(&t.first.at)>{label}</a>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                                {c.planned.into_iter().map(|p| {
                                                    let overdue = p.status == crate::model::plans::PlanStatus::Overdue;
                                                    let label = format!(
                                                        "{}: {} {} {}",
                                                        if overdue { "Overdue" } else { "Planned" },
                                                        release_title(&p.plan.dist, &p.plan.release),
                                                        if p.plan.reached { "enters" } else { "leaves" },
                                                        p.plan.state
                                                    );
                                                    view! {
                                                        <li class="planned" class:overdue=overdue data-status=p.status.as_str()>
                                                            <span class=chip(&p.plan.dist) aria-hidden="true"></span>
                                                            <a href=links::release(&p.plan.dist, &p.plan.release) title=when(&p.plan.at)>{label}</a>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        </td>
                                    }.into_any()
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A chart's data as a list, for screen readers, touch and small screens
/// (a bar's own tooltip needs a pointer).
#[component]
fn ChartData(items: Vec<String>) -> impl IntoView {
    view! {
        <details class="chart-data">
            <summary>{format!("The chart's {} stays as a list", items.len())}</summary>
            <ul>{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
        </details>
    }
}

/// State names for people, joined: `beta freeze, stable`.
fn join(states: &[crate::model::State]) -> String {
    states.iter().map(state_label).collect::<Vec<_>>().join(", ")
}

/// Geometry of the year chart (SVG user units).
const LABEL_WIDTH: f64 = 190.0;
const CHART_WIDTH: f64 = 760.0;
const ROW_HEIGHT: f64 = 20.0;
const TOP: f64 = 24.0;

/// The year as horizontal bars, one row per release and state.
#[component]
fn YearChart(rows: Vec<YearRow>, year: i32, start: NaiveDate, id: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No release was in any state during this year."</p> }.into_any();
    }
    let year_start = start.and_time(NaiveTime::MIN).and_utc();
    let year_end = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(start).and_time(NaiveTime::MIN).and_utc();
    let span = (year_end - year_start).num_seconds().max(1) as f64;
    let x = move |t: chrono::DateTime<Utc>| LABEL_WIDTH + (t - year_start).num_seconds() as f64 / span * CHART_WIDTH;
    let height = TOP + ROW_HEIGHT * rows.len() as f64 + 4.0;
    let width = LABEL_WIDTH + CHART_WIDTH + 10.0;
    let items: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            let label = format!("{} {}", release_title(&row.dist, &row.release), state_label(&row.state));
            row.bars.iter().map(move |(from, to, open)| {
                let end = match (open, *to == year_end) {
                    (false, _) => day(to),
                    (true, true) => format!("beyond {year}"),
                    (true, false) => "now".to_owned(),
                };
                format!("{label}: {} → {end}", day(from))
            })
        })
        .collect();
    let months = (1..=12u32).filter_map(move |m| NaiveDate::from_ymd_opt(year, m, 1)).map(move |d| {
        let px = x(d.and_time(NaiveTime::MIN).and_utc());
        view! {
            <line class="tick" x1=px y1=TOP - 4.0 x2=px y2=height/>
            <text class="month-label" x=px + 3.0 y=TOP - 8.0>{MONTHS[d.month0() as usize][..3].to_owned()}</text>
        }
    });
    view! {
        // Focusable: below 40rem the chart scrolls sideways, for the
        // keyboard too.
        <figure class="year-chart" id=id tabindex="0" role="region"
            aria-label=format!("Release states during {year}, scrolls sideways")>
            <svg
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-labelledby=format!("{id}-title")
                preserveAspectRatio="xMinYMin meet"
            >
                <title id=format!("{id}-title")>{format!("Release states during {year}")}</title>
                {months.collect_view()}
                {rows.into_iter().enumerate().map(|(i, row)| {
                    let y = TOP + ROW_HEIGHT * i as f64;
                    let label = format!("{} {}", release_title(&row.dist, &row.release), row.state);
                    let class = format!("bar state-{}", state_class(row.state.as_str()));
                    view! {
                        <g class="row" data-release=row.release.to_string() data-state=row.state.to_string()>
                            <text class="row-label" x="4" y=y + 14.0>{label.clone()}</text>
                            {row.bars.into_iter().map(|(from, to, open)| {
                                let (x1, x2) = (x(from), x(to));
                                let end = match (open, to == year_end) {
                                    (false, _) => day(&to),
                                    (true, true) => format!("beyond {year}"),
                                    (true, false) => "now".to_owned(),
                                };
                                let tip = format!("{label}: {} → {end}", day(&from));
                                view! {
                                    <rect class=class.clone() x=x1 y=y + 3.0 width=(x2 - x1).max(2.0) height=ROW_HEIGHT - 6.0 rx="2">
                                        <title>{tip}</title>
                                    </rect>
                                }
                            }).collect_view()}
                        </g>
                    }
                }).collect_view()}
            </svg>
            <figcaption>"Each bar is a stay in a state; its dates are listed below."</figcaption>
        </figure>
        <ChartData items/>
    }
    .into_any()
}

/// A CSS class fragment for a state name (only letters, digits and dashes).
fn state_class(state: &str) -> String {
    state.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// Width of one year on the lifecycle chart, in pixels: wide enough for
/// its label, so at phone width the chart scrolls instead of shrinking
/// its text.
const YEAR_WIDTH: f64 = 96.0;
const LIFE_LABEL_WIDTH: f64 = 140.0;
const LANE_HEIGHT: f64 = 9.0;
const ROW_GAP: f64 = 10.0;

/// The lifecycle chart: a row per release, a lane per state, actual stays
/// solid and planned stretches hatched, a line for today.
#[component]
fn LifecycleChart(
    rows: Vec<LifecycleRow>,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
    now: chrono::DateTime<Utc>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No release was in any state, or planned to be, in these years."</p> }
            .into_any();
    }
    let years: Vec<i32> = (from.year()..to.year()).collect();
    let chart_width = YEAR_WIDTH * years.len() as f64;
    let span = (to - from).num_seconds().max(1) as f64;
    let x = move |t: chrono::DateTime<Utc>| LIFE_LABEL_WIDTH + (t - from).num_seconds() as f64 / span * chart_width;
    let mut y = TOP;
    let placed: Vec<(f64, LifecycleRow)> = rows
        .into_iter()
        .map(|row| {
            let top = y;
            y += LANE_HEIGHT * row.lanes.len().max(2) as f64 + ROW_GAP;
            (top, row)
        })
        .collect();
    let height = y + 4.0;
    let width = LIFE_LABEL_WIDTH + chart_width + 10.0;
    let today = (now >= from && now < to).then(|| {
        let px = x(now);
        view! {
            <line class="today" x1=px y1=TOP - 14.0 x2=px y2=height/>
            <text class="today-label" x=px + 3.0 y=TOP - 14.0>{format!("today, {}", day(&now))}</text>
        }
    });
    let title = format!("Release lifecycles {}–{}", from.year(), to.year() - 1);
    let items: Vec<String> = placed
        .iter()
        .flat_map(|(_, row)| {
            let name = release_title(&row.dist, &row.release);
            row.lanes.iter().flat_map(move |lane| {
                let label = format!("{name} {}", state_label(&lane.state));
                lane.spans.iter().map(move |s| {
                    let end = match (s.open, s.planned) {
                        (true, false) => "now".to_owned(),
                        (true, true) => "no planned end".to_owned(),
                        (false, _) => day(&s.to),
                    };
                    format!("{label}: {} → {end}{}", day(&s.from), if s.planned { " (planned)" } else { "" })
                })
            })
        })
        .collect();
    view! {
        <figure class="lifecycle-chart">
            <div class="chart-scroll" tabindex="0" role="region" aria-label="Lifecycle chart, scrolls sideways">
                <svg
                    width=width
                    height=height
                    viewBox=format!("0 0 {width} {height}")
                    // A group, not an image: its bars are links.
                    role="group"
                    aria-labelledby="lifecycle-title"
                >
                    <title id="lifecycle-title">{title}</title>
                    {years.iter().map(|&year| {
                        let px = x(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default().and_time(NaiveTime::MIN).and_utc());
                        view! {
                            <line class="tick" x1=px y1=TOP - 4.0 x2=px y2=height/>
                            <text class="year-label" x=px + 3.0 y=TOP - 2.0>{year}</text>
                        }
                    }).collect_view()}
                    {placed.into_iter().map(|(top, row)| {
                        let label = release_title(&row.dist, &row.release);
                        let href = links::release(&row.dist, &row.release);
                        view! {
                            <g class="release" data-release=row.release.to_string()>
                                <a href=href>
                                    <text class="row-label" x="4" y=top + 12.0>{label.clone()}</text>
                                </a>
                                {row.lanes.into_iter().enumerate().map(|(i, lane)| {
                                    let lane_y = top + 3.0 + LANE_HEIGHT * i as f64;
                                    let state = lane.state.to_string();
                                    let class = state_class(&state);
                                    lane.spans.into_iter().map(|s| {
                                        let (x1, x2) = (x(s.from), x(s.to));
                                        let end = match (s.open, s.planned) {
                                            (true, false) => "now".to_owned(),
                                            (true, true) => "no planned end".to_owned(),
                                            (false, _) => day(&s.to),
                                        };
                                        let tip = format!(
                                            "{label} {state}: {} → {end}{}",
                                            day(&s.from),
                                            if s.planned { " (planned)" } else { "" }
                                        );
                                        let kind = if s.planned { "planned" } else { "actual" };
                                        view! {
                                            <rect
                                                class=format!("span {kind} state-{class}")
                                                data-state=state.clone()
                                                data-planned=s.planned.to_string()
                                                x=x1
                                                y=lane_y
                                                width=(x2 - x1).max(2.0)
                                                height=LANE_HEIGHT - 2.0
                                                rx="2"
                                            >
                                                <title>{tip}</title>
                                            </rect>
                                        }
                                    }).collect_view()
                                }).collect_view()}
                            </g>
                        }
                    }).collect_view()}
                    {today}
                </svg>
            </div>
            <figcaption>
                "One row per release, one lane per state (hover or focus a bar for its dates). "
                <span class="legend actual">"Solid: what happened"</span>" · "
                <span class="legend planned">"light, dashed outline: what is planned"</span>" · "
                "the vertical line is today. Each release's name leads to its page; the dates are listed below."
            </figcaption>
        </figure>
        <ChartData items/>
    }
    .into_any()
}
