//! Who is looking: the signed-in person (if any) as the server tells the
//! pages, the one-time notice and form echo a plain form post leaves for
//! the next page, why someone may not edit, and the personal API tokens
//! page with its server functions (`api`).

pub mod api;
pub mod tokens;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::links;
use crate::server_data::{from_request, request_path};
pub use crate::server_data::{Flash, FormEcho};

/// What pages know about the visitor; the server puts it into each
/// request, pages read it with [`viewer`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// The signed-in person, if any.
    pub user: Option<SignedIn>,
    /// Whether this server has a login at all.
    pub login_enabled: bool,
    /// Groups whose members may edit, to explain refusals.
    pub editor_groups: Vec<String>,
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The name shown and recorded with their writes.
    pub nickname: String,
    /// Whether they may record and retract events.
    pub editor: bool,
    /// The CSRF token their forms must carry.
    pub csrf: String,
}

impl Viewer {
    /// The signed-in editor, if the visitor is one.
    pub fn editor(&self) -> Option<&SignedIn> {
        self.user.as_ref().filter(|u| u.editor)
    }

    /// Why the visitor may not edit, in words; `None` for editors.
    pub fn why_not_editor(&self) -> Option<String> {
        match &self.user {
            Some(u) if u.editor => None,
            Some(u) => Some(format!(
                "You are signed in as {}, who is not in an editor group ({}), so you cannot change anything here.",
                u.nickname,
                self.editor_groups.join(", ")
            )),
            None if self.login_enabled => Some("Sign in as a release engineer to change anything here.".into()),
            None => Some("This server has no login configured; changes are made with API tokens.".into()),
        }
    }
}

/// The visitor of the page being rendered (server side; default in the
/// browser).
pub fn viewer() -> Viewer {
    from_request::<Viewer>().unwrap_or_default()
}

/// The flash left for this page, if any (server side).
pub fn flash() -> Flash {
    from_request::<Flash>().unwrap_or_default()
}

/// The echo of `form` from the flash, if that form was refused.
pub fn echo_of(form: &str) -> Option<FormEcho> {
    flash().form.filter(|f| f.form == form)
}

/// The sign-in / sign-out corner of the header.
#[component]
pub fn AccountNav() -> impl IntoView {
    let viewer = viewer();
    match viewer.user {
        Some(user) => view! {
            <span class="account">
                <span class="who">"Signed in as " <strong>{user.nickname.clone()}</strong></span>
                {user.editor.then(|| view! {
                    <a href=links::new_event(links::Prefill::default())>"Record an event"</a>
                    <a href=links::account_tokens()>"API tokens"</a>
                    <a href=links::webhooks()>"Webhooks"</a>
                })}
                <form method="post" action=links::logout() class="inline">
                    <input type="hidden" name="csrf_token" value=user.csrf.clone()/>
                    <button type="submit" class="link">"Sign out"</button>
                </form>
            </span>
        }
        .into_any(),
        None if viewer.login_enabled => view! {
            <span class="account"><a href=sign_in_href() rel="nofollow">"Sign in"</a></span>
        }
        .into_any(),
        None => ().into_any(),
    }
}

/// `/login`, coming back to the page being rendered.
fn sign_in_href() -> String {
    links::login(request_path().as_deref().filter(|here| *here != "/"))
}

/// The one-time notice of the flash, if any.
#[component]
pub fn FlashNotice() -> impl IntoView {
    let Flash { notice, secret, .. } = flash();
    let secret = secret.map(|s| view! { " " <code class="secret">{s}</code> });
    (notice.is_some() || secret.is_some()).then(|| view! { <p class="notice" role="status">{notice}{secret}</p> })
}

/// Hidden CSRF field for forms of a signed-in person.
#[component]
pub fn CsrfField(token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf_token" value=token/> }
}

/// Why the visitor cannot edit, with a way to sign in that leads to the
/// record form.
#[component]
pub fn NotEditor(viewer: Viewer) -> impl IntoView {
    let signed_out = viewer.user.is_none() && viewer.login_enabled;
    view! {
        <p class="error" role="alert">{viewer.why_not_editor()}</p>
        {signed_out.then(|| view! { <p><a href=links::login(Some(&links::new_event(links::Prefill::default())))>"Sign in"</a></p> })}
    }
}
