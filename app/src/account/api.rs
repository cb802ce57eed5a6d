//! The server functions of the API tokens page (list, create and revoke
//! the signed-in editor's personal tokens), and how every form's server
//! function answers a plain form post: a flash for the next page and a
//! redirect. The server does the work through the editing backend
//! (`server_data::ssr::EditBackend`).

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::server_data::{CreatedToken, TokenInfo};

/// The signed-in editor's tokens.
#[server(prefix = "/ui", endpoint = "my_tokens")]
pub async fn my_tokens() -> Result<Vec<TokenInfo>, AppError> {
    use crate::server_data::ssr::context;
    let (backend, parts) = context()?;
    backend.0.tokens(&parts).await
}

/// Creates a personal API token.
#[server(prefix = "/ui", endpoint = "create_token")]
pub async fn create_token(
    csrf_token: Option<String>,
    name: Option<String>,
    expires_in_days: Option<String>,
) -> Result<CreatedToken, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::server_data::ssr::context;

    let values = form_values(&[("name", &name), ("expires_in_days", &expires_in_days)]);
    let result = async {
        let (backend, parts) = context()?;
        backend.0.create_token(&parts, name, expires_in_days).await
    }
    .await;
    let tokens = crate::links::account_tokens();
    answer("token", values, &tokens, result, |t: &CreatedToken| {
        // The secret itself goes by another way (`Flash::secret`): a
        // flash is kept in the session store.
        (tokens.clone(), format!("Created token {}. Copy it now, it is not shown again:", t.name))
    })
    .await
}

/// Revokes one of the signed-in editor's tokens.
#[server(prefix = "/ui", endpoint = "revoke_token")]
pub async fn revoke_token(csrf_token: Option<String>, id: i64) -> Result<String, AppError> {
    // Checked by the CSRF middleware before this runs.
    let _ = csrf_token;
    use crate::server_data::ssr::context;

    let result = async {
        let (backend, parts) = context()?;
        backend.0.revoke_token(&parts, id).await
    }
    .await;
    let tokens = crate::links::account_tokens();
    answer("revoke", Default::default(), &tokens, result, |name: &String| {
        (tokens.clone(), format!("Revoked token {name}."))
    })
    .await
}

/// Ends a form's server function. For a plain form post: on success a
/// notice and a redirect to `done`, on failure the typed values and the
/// error for the form page `back`. With JavaScript, the result as is.
#[cfg(feature = "ssr")]
pub(crate) async fn answer<T>(
    form: &str,
    values: std::collections::BTreeMap<String, String>,
    back: &str,
    result: Result<T, AppError>,
    done: impl FnOnce(&T) -> (String, String),
) -> Result<T, AppError> {
    use crate::server_data::ssr::{context, plain_form_post};
    use crate::server_data::{Flash, FormEcho};

    let (backend, parts) = context()?;
    if let Err(e) = &result {
        crate::ui::set_status(e.status());
    }
    if !plain_form_post(&parts) {
        return result;
    }
    let (flash, to) = match &result {
        Ok(value) => {
            let (to, notice) = done(value);
            (Flash { notice: Some(notice), ..Flash::default() }, to)
        }
        Err(e) => (
            Flash {
                notice: None,
                form: Some(FormEcho {
                    form: form.to_owned(),
                    values,
                    field: e.field().map(str::to_owned),
                    message: e.to_string(),
                }),
                ..Flash::default()
            },
            back.to_owned(),
        ),
    };
    // A lost flash only loses the message; the write itself is done.
    let _ = backend.0.flash(&parts, flash).await;
    leptos_axum::redirect(&to);
    result
}

/// The values of fields, to echo back into a refused form.
#[cfg(feature = "ssr")]
pub(crate) fn form_values(fields: &[(&str, &Option<String>)]) -> std::collections::BTreeMap<String, String> {
    fields.iter().filter_map(|(k, v)| v.as_ref().map(|v| ((*k).to_owned(), v.clone()))).collect()
}
