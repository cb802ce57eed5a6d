//! `/account/tokens`: a signed-in editor's personal API tokens — create
//! (the secret shown once), list with expiry and last use, revoke.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use leptos::server_fn::ServerFn;

use super::api::{my_tokens, CreateToken, RevokeToken, TokenInfo};
use super::{echo_of, viewer, CsrfField, FlashNotice, NotEditor};

/// The page. Rendered whole on the server (the list needs the database).
#[component]
pub fn TokensPage() -> impl IntoView {
    let viewer = viewer();
    let Some(editor) = viewer.editor().cloned() else {
        crate::ui::set_status(if viewer.user.is_some() { 403 } else { 401 });
        return view! {
            <Title text="API tokens · releasetracker"/>
            <h1>"API tokens"</h1>
            <NotEditor viewer/>
        }
        .into_any();
    };
    let tokens = Resource::new_blocking(|| (), |_| my_tokens());
    let echo = echo_of("token");
    let csrf = editor.csrf.clone();
    view! {
        <Title text="API tokens · releasetracker"/>
        <h1>"API tokens"</h1>
        <FlashNotice/>
        <p>"Scripts write with " <code>"Authorization: Bearer <token>"</code> ". A token acts as you ("
            {editor.nickname.clone()} ") and stops working when revoked, when it expires, or if you leave the editor groups."</p>
        <h2>"New token"</h2>
        <NewTokenForm csrf=csrf.clone()
            name=echo.as_ref().and_then(|e| e.value("name"))
            days=echo.as_ref().and_then(|e| e.value("expires_in_days"))
            initial=echo.map(|e| e.message)/>
        <h2>"Your tokens"</h2>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let csrf = csrf.clone();
                Suspend::new(async move {
                match tokens.await {
                    Ok(list) => view! { <TokenTable tokens=list csrf/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}}
        </Suspense>
    }
    .into_any()
}

/// The list, each active token with a revoke button (a plain form).
#[component]
fn TokenTable(tokens: Vec<TokenInfo>, csrf: String) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty">"You have no tokens."</p> }.into_any();
    }
    let day = |t: &Option<String>| {
        t.as_deref().map(|t| t.get(..16).unwrap_or(t).replace('T', " ")).unwrap_or_else(|| "—".into())
    };
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Your tokens">
            <table class="tokens">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th><th scope="col">"State"</th>
                </tr></thead>
                <tbody>
                    {tokens.into_iter().map(|t| {
                        let revoked = t.revoked_at.is_some();
                        view! {
                            <tr class:retracted=revoked>
                                <td>{t.name.clone()}</td>
                                <td>{day(&Some(t.created_at.clone()))}</td>
                                <td>{day(&t.expires_at)}</td>
                                <td>{day(&t.last_used_at)}</td>
                                <td>{if revoked {
                                    view! { <span>{format!("revoked {}", day(&t.revoked_at))}</span> }.into_any()
                                } else {
                                    view! {
                                        <form method="post" action=RevokeToken::url() class="inline">
                                            <CsrfField token=csrf.clone()/>
                                            <input type="hidden" name="id" value=t.id/>
                                            <button type="submit" class="danger">{format!("Revoke {}", t.name)}</button>
                                        </form>
                                    }.into_any()
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Create a token; with JavaScript the secret appears in place.
#[island]
fn NewTokenForm(csrf: String, name: Option<String>, days: Option<String>, initial: Option<String>) -> impl IntoView {
    let action = ServerAction::<CreateToken>::new();
    let result = action.value();
    let error = move || match result.get() {
        Some(Err(e)) => Some(e.to_string()),
        Some(Ok(_)) => None,
        None => initial.clone(),
    };
    view! {
        <ActionForm action=action attr:class="edit-form" attr:id="token-form">
            <CsrfField token=csrf/>
            <div class="field">
                <label for="token-name">"Name" <span class="hint">"e.g. laptop, compose-script; recorded with every write"</span></label>
                <input id="token-name" name="name" value=name.unwrap_or_default() autocomplete="off"/>
            </div>
            <div class="field">
                <label for="token-days">"Expires after (days)" <span class="hint">"1 to 365"</span></label>
                <input id="token-days" name="expires_in_days" type="number" min="1" max="365" value=days.unwrap_or_else(|| "90".into())/>
            </div>
            <p class="error" role="alert">{error}</p>
            <button type="submit">"Create token"</button>
        </ActionForm>
        {move || result.get().and_then(Result::ok).map(|t| view! {
            <p class="notice" role="status">
                "Created token " {t.name.clone()} ". Copy it now, it is not shown again: "
                <code class="secret">{t.token.clone()}</code>
            </p>
        })}
    }
}
