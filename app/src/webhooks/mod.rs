//! The webhook pages (DESIGN.md §8): `/webhooks` lists the subscriptions
//! and creates one (the secret shown once on its page), `/webhooks/{id}`
//! shows one with its delivery log and the editor's actions, and the
//! release actions an event triggered, for its page. Every form is a
//! plain form post: everything works without JavaScript.

pub mod api;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::account::{echo_of, viewer, CsrfField, FlashNotice, NotEditor};
use crate::links;
use crate::model::time::format as rfc3339;
use crate::model::webhooks::{Delivery, DeliveryState, Subscription, WebhookKind};
use crate::ui::format::when;
use crate::ui::param;
use api::{event_actions, load_webhook, webhook_list, ActOnWebhook, CreateWebhook, UpdateWebhook};

/// How a subscription stands, in words.
fn standing(s: &Subscription) -> String {
    match (&s.disabled_reason, s.active) {
        (Some(reason), _) => format!("disabled: {reason}"),
        (None, true) => "active".into(),
        (None, false) => "paused".into(),
    }
}

/// The CSS class of a delivery state (its colour and icon).
fn state_class(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Delivered => "action-ok",
        DeliveryState::Pending => "action-pending",
        DeliveryState::Failing => "action-failing",
        DeliveryState::GivenUp => "action-given-up",
    }
}

/// `/webhooks`: the subscriptions and the form for a new one (editors).
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let viewer = viewer();
    let Some(editor) = viewer.editor().cloned() else {
        crate::ui::set_status(if viewer.user.is_some() { 403 } else { 401 });
        return view! {
            <Title text="Webhooks · releasetracker"/>
            <h1>"Webhooks"</h1>
            <NotEditor viewer/>
        }
        .into_any();
    };
    let list = Resource::new_blocking(|| (), |_| webhook_list());
    let echo = echo_of("webhook");
    let values = FieldValues {
        url: echo.as_ref().and_then(|e| e.value("url")).unwrap_or_default(),
        description: echo.as_ref().and_then(|e| e.value("description")).unwrap_or_default(),
        dists: echo.as_ref().and_then(|e| e.value("dists")).unwrap_or_default(),
        releases: echo.as_ref().and_then(|e| e.value("releases")).unwrap_or_default(),
        states: echo.as_ref().and_then(|e| e.value("states")).unwrap_or_default(),
        reached: echo.as_ref().and_then(|e| e.value("reached")).unwrap_or_default(),
        kinds: Vec::new(),
        required: false,
    };
    let error = echo.map(|e| e.message);
    let csrf = editor.csrf.clone();
    view! {
        <Title text="Webhooks · releasetracker"/>
        <h1>"Webhooks"</h1>
        <FlashNotice/>
        <p>"Each recorded change that a subscription's filter matches is posted to its URL, signed per "
            <a href="https://www.standardwebhooks.com/">"Standard Webhooks"</a>
            ", and retried for about three days. A subscription marked " <em>"required"</em>
            " is a release action: event pages show how it went."</p>
        <h2>"Subscriptions"</h2>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <SubscriptionTable list/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h2 id="new">"New subscription"</h2>
        <form method="post" action=CreateWebhook::url() class="edit-form" id="webhook-form">
            <CsrfField token=csrf/>
            <FormFields prefix="hook" values=values.clone()/>
            <p class="error" role="alert">{error}</p>
            <button type="submit">"Create subscription"</button>
        </form>
    }
    .into_any()
}

/// What the subscription form shows in its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FieldValues {
    url: String,
    description: String,
    dists: String,
    releases: String,
    states: String,
    reached: String,
    kinds: Vec<WebhookKind>,
    required: bool,
}

impl FieldValues {
    fn of(s: &Subscription) -> Self {
        Self {
            url: s.url.clone(),
            description: s.description.clone(),
            dists: s.filter.dists.join(", "),
            releases: s.filter.releases.join(", "),
            states: s.filter.states.join(", "),
            reached: match s.filter.reached {
                Some(true) => "entered".into(),
                Some(false) => "left".into(),
                None => "both".into(),
            },
            kinds: s.filter.kinds.clone(),
            required: s.required,
        }
    }
}

/// The fields of a subscription, for the new one and for changing one;
/// `prefix` keeps the ids of two forms on a page apart.
#[component]
fn FormFields(prefix: &'static str, values: FieldValues) -> impl IntoView {
    let id = move |field: &str| format!("{prefix}-{field}");
    let kind = |k: WebhookKind| values.kinds.contains(&k);
    view! {
        <div class="field">
            <label for=id("url")>"URL" <span class="hint">"https://…, where the deliveries are posted"</span></label>
            <input id=id("url") name="url" type="url" required value=values.url.clone() autocomplete="off"/>
        </div>
        <div class="field">
            <label for=id("description")>"Description" <span class="hint">"e.g. Announcement, Mirror sync; shown on event pages"</span></label>
            <input id=id("description") name="description" value=values.description.clone() maxlength="200"/>
        </div>
        <div class="field">
            <label for=id("dists")>"Dists" <span class="hint">"comma-separated; empty for all"</span></label>
            <input id=id("dists") name="dists" value=values.dists.clone() placeholder="fedora"/>
        </div>
        <div class="field">
            <label for=id("releases")>"Releases" <span class="hint">"comma-separated; empty for all"</span></label>
            <input id=id("releases") name="releases" value=values.releases.clone()/>
        </div>
        <div class="field">
            <label for=id("states")>"States" <span class="hint">"comma-separated; empty for all"</span></label>
            <input id=id("states") name="states" value=values.states.clone() placeholder="stable"/>
        </div>
        <div class="field">
            <label for=id("reached")>"Transitions"</label>
            <select id=id("reached") name="reached">
                <option value="both">"entering and leaving"</option>
                <option value="entered" selected=values.reached == "entered">"entering only"</option>
                <option value="left" selected=values.reached == "left">"leaving only"</option>
            </select>
        </div>
        <fieldset class="field">
            <legend>"Kinds" <span class="hint">"none ticked: all"</span></legend>
            <label><input type="checkbox" name="kind_event" value="on" checked=kind(WebhookKind::Event)/>" events"</label>
            <label><input type="checkbox" name="kind_retraction" value="on" checked=kind(WebhookKind::Retraction)/>" retractions"</label>
            <label><input type="checkbox" name="kind_plan" value="on" checked=kind(WebhookKind::Plan)/>" plans"</label>
        </fieldset>
        <div class="field">
            <label><input type="checkbox" name="required" value="on" checked=values.required/>" Required release action"</label>
        </div>
    }
}

#[component]
fn SubscriptionTable(list: Vec<Subscription>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">"No subscriptions yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Subscriptions">
            <table class="webhooks">
                <thead><tr>
                    <th scope="col">"Subscription"</th><th scope="col">"Receives"</th>
                    <th scope="col">"State"</th><th scope="col">"Deliveries"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|s| {
                        let name = if s.description.is_empty() { s.url.clone() } else { s.description.clone() };
                        let c = s.deliveries;
                        view! {
                            <tr>
                                <td><a href=links::webhook(s.id)>{name}</a>
                                    {s.required.then(|| view! { " " <span class="badge">"required"</span> })}
                                    <br/><span class="hint">{s.url.clone()}</span></td>
                                <td>{s.filter.describe()}</td>
                                <td>{standing(&s)}</td>
                                <td>{format!("{} delivered · {} failing · {} given up · {} pending", c.delivered, c.failing, c.given_up, c.pending)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A one-button form doing `action` to subscription `id`.
#[component]
fn ActionButton(
    csrf: String,
    id: i64,
    action: &'static str,
    label: String,
    #[prop(optional)] delivery: Option<i64>,
    #[prop(optional)] back: Option<i64>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    view! {
        <form method="post" action=ActOnWebhook::url() class="inline">
            <CsrfField token=csrf/>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="action" value=action/>
            {delivery.map(|d| view! { <input type="hidden" name="delivery" value=d/> })}
            {back.map(|b| view! { <input type="hidden" name="back" value=b/> })}
            <button type="submit" class:danger=danger>{label}</button>
        </form>
    }
}

/// `/webhooks/{id}`: one subscription, its actions and delivery log.
#[component]
pub fn WebhookPage() -> impl IntoView {
    let viewer = viewer();
    let Some(editor) = viewer.editor().cloned() else {
        crate::ui::set_status(if viewer.user.is_some() { 403 } else { 401 });
        return view! {
            <Title text="Webhook · releasetracker"/>
            <h1>"Webhook"</h1>
            <NotEditor viewer/>
        }
        .into_any();
    };
    let Some(id) = param("id").and_then(|v| v.parse::<i64>().ok()) else {
        return view! { <crate::ui::NotFound what="There is no subscription with this number.".to_owned()/> }
            .into_any();
    };
    let detail = Resource::new_blocking(move || id, load_webhook);
    let csrf = editor.csrf.clone();
    let error = echo_of("webhook-action").map(|e| e.message);
    view! {
        <Title text=format!("Webhook #{id} · releasetracker")/>
        <FlashNotice/>
        <p class="error" role="alert">{error}</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let csrf = csrf.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <WebhookDetailView detail=d csrf/> }.into_any(),
                        Err(e) => {
                            crate::ui::set_status(e.status());
                            view! { <h1>"Webhook"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}

#[component]
fn WebhookDetailView(detail: crate::model::webhooks::WebhookDetail, csrf: String) -> impl IntoView {
    let s = detail.subscription;
    let id = s.id;
    // A refused change comes back with what was typed.
    let echo = echo_of("webhook-edit");
    let edit_error = echo.as_ref().map(|e| e.message.clone());
    let edit_values = match &echo {
        Some(e) => FieldValues {
            url: e.value("url").unwrap_or_default(),
            description: e.value("description").unwrap_or_default(),
            dists: e.value("dists").unwrap_or_default(),
            releases: e.value("releases").unwrap_or_default(),
            states: e.value("states").unwrap_or_default(),
            reached: e.value("reached").unwrap_or_default(),
            ..FieldValues::of(&s)
        },
        None => FieldValues::of(&s),
    };
    let title = if s.description.is_empty() { format!("Webhook #{id}") } else { s.description.clone() };
    let toggle = if s.active {
        view! { <ActionButton csrf=csrf.clone() id action="pause" label="Pause".into()/> }.into_any()
    } else {
        view! { <ActionButton csrf=csrf.clone() id action="resume" label="Resume".into()/> }.into_any()
    };
    view! {
        <h1>{title}</h1>
        <dl class="event">
            <dt>"URL"</dt><dd><code>{s.url.clone()}</code></dd>
            <dt>"Receives"</dt><dd>{s.filter.describe()}</dd>
            <dt>"Required release action"</dt><dd>{if s.required { "yes" } else { "no" }}</dd>
            <dt>"State"</dt><dd class="webhook-state">{standing(&s)}</dd>
            <dt>"Created"</dt><dd>{format!("{} by {}", when(&s.created_at), s.created_by)}</dd>
            {s.previous_secret_until.map(|until| view! {
                <dt>"Previous secret"</dt><dd>{format!("signs too until {}", when(&until))}</dd>
            })}
        </dl>
        <div class="actions">
            {toggle}
            <ActionButton csrf=csrf.clone() id action="ping" label="Send test".into()/>
            <ActionButton csrf=csrf.clone() id action="rotate" label="Rotate secret".into()/>
            <ActionButton csrf=csrf.clone() id action="delete" label="Delete subscription".into() danger=true/>
        </div>
        <details class="edit-subscription" open=edit_error.is_some()>
            <summary>"Change URL, description or filter"</summary>
            <form method="post" action=UpdateWebhook::url() class="edit-form" id="webhook-edit-form">
                <CsrfField token=csrf.clone()/>
                <input type="hidden" name="id" value=id/>
                <FormFields prefix="edit" values=edit_values/>
                <p class="error" role="alert">{edit_error.clone()}</p>
                <button type="submit">"Save changes"</button>
            </form>
        </details>
        <form method="post" action=ActOnWebhook::url() class="edit-form inline-form">
            <CsrfField token=csrf.clone()/>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="action" value="redeliver_failed"/>
            <label for="redeliver-since">"Redeliver every failed delivery since"</label>
            <input id="redeliver-since" name="since" type="date" required/>
            <button type="submit">"Redeliver failed"</button>
        </form>
        <h2>"Delivery log"</h2>
        <DeliveryTable deliveries=detail.deliveries csrf id/>
    }
}

#[component]
fn DeliveryTable(deliveries: Vec<Delivery>, csrf: String, id: i64) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="empty">"Nothing delivered yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Delivery log">
            <table class="deliveries">
                <thead><tr>
                    <th scope="col">"Made"</th><th scope="col">"Type"</th><th scope="col">"State"</th>
                    <th scope="col">"Attempts"</th><th scope="col">"Redeliver"</th>
                </tr></thead>
                <tbody>
                    {deliveries.into_iter().map(|d| {
                        let event = d.event_id.map(|e| view! { " " <a href=links::event(e)>{format!("event #{e}")}</a> });
                        let next = d.next_attempt_at.map(|t| format!(" · next {}", when(&t)));
                        view! {
                            <tr data-delivery=d.webhook_id.clone()>
                                <td><time datetime=rfc3339(&d.created_at)>{when(&d.created_at)}</time></td>
                                <td><code>{d.event_type.clone()}</code>{event}</td>
                                <td><span class=state_class(d.state)>{d.state.label()}</span>{next}</td>
                                <td><AttemptList delivery=d.clone()/></td>
                                <td><ActionButton csrf=csrf.clone() id action="redeliver" label=format!("Redeliver {}", d.id) delivery=d.id/></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AttemptList(delivery: Delivery) -> impl IntoView {
    if delivery.log.is_empty() {
        return view! { <span>"none yet"</span> }.into_any();
    }
    view! {
        <ol class="attempts">
            {delivery.log.into_iter().map(|a| {
                let status = a.status.map(|s| s.to_string()).unwrap_or_else(|| "no answer".into());
                view! {
                    <li>
                        {format!("{} · {} · {} ms", when(&a.at), status, a.latency_ms)}
                        {a.error.map(|e| view! { " · " <span class="error-text">{e}</span> })}
                        {a.excerpt.filter(|x| !x.is_empty()).map(|x| view! { " · " <q>{x}</q> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// A mark beside a transition whose required release actions have not all
/// succeeded (nothing otherwise), linking its event page.
#[component]
pub fn ActionFlag(event: i64) -> impl IntoView {
    let state = crate::server_data::unsettled_actions().get(&event).copied();
    state.map(|state| {
        let words = match state {
            DeliveryState::Pending => "release actions pending",
            _ => "release actions failing",
        };
        view! {
            " " <a class=format!("action-flag {}", state_class(state)) href=links::event(event) title=words>
                <span aria-hidden="true">{if state == DeliveryState::Pending { "◔" } else { "⚠" }}</span>
                <span class="visually-hidden">{words}</span>
            </a>
        }
    })
}

/// The release actions an event triggered (for its page): each
/// subscription it went to, how that went, and for editors a button to
/// send it again.
#[component]
pub fn EventActions(event: i64) -> impl IntoView {
    let actions = Resource::new_blocking(move || event, event_actions);
    let csrf = viewer().editor().map(|e| e.csrf.clone());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let csrf = csrf.clone();
                Suspend::new(async move {
                    match actions.await {
                        Ok(list) if list.is_empty() => ().into_any(),
                        Ok(list) => view! { <ActionsSection list csrf event/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ActionsSection(list: Vec<Delivery>, csrf: Option<String>, event: i64) -> impl IntoView {
    view! {
        <section class="release-actions" aria-labelledby="actions-heading">
            <h2 id="actions-heading">"Release actions"</h2>
            <ul class="actions-list">
                {list.into_iter().map(|d| {
                    let last = d.log.last().map(|a| match (a.status, &a.error) {
                        (Some(s), _) if (200..300).contains(&s) => format!("answered {s}"),
                        (_, Some(e)) => e.clone(),
                        (Some(s), None) => format!("answered {s}"),
                        (None, None) => String::new(),
                    });
                    let name = if d.subscription.is_empty() { format!("Webhook #{}", d.subscription_id) } else { d.subscription.clone() };
                    let button = csrf.clone().map(|csrf| view! {
                        <ActionButton csrf id=d.subscription_id action="redeliver" label=format!("Redeliver to {name}") delivery=d.id back=event/>
                    });
                    view! {
                        <li class=state_class(d.state) data-action-state=d.state.as_str()>
                            <strong>{name.clone()}</strong>
                            {d.required.then(|| view! { " " <span class="badge">"required"</span> })}
                            " " <code>{d.event_type.clone()}</code> ": "
                            <span class="action-state">{d.state.label()}</span>
                            {format!(" after {} attempt{}", d.attempts, if d.attempts == 1 { "" } else { "s" })}
                            {last.filter(|l| !l.is_empty()).map(|l| format!(" ({l})"))}
                            " " {button}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
