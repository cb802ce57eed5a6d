//! Webhook subscriptions over HTTP (DESIGN.md §8), for editors: create
//! (the secret answered once), list, change, pause, delete, rotate the
//! secret, ping, the delivery log and redelivery; and, for everyone, the
//! release actions an event triggered. The work is in
//! `crate::webhooks::manage`.

use app::model::webhooks::{Delivery, Subscription, SubscriptionInput};
use axum::extract::{Path, State as AxumState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::openapi::answers;
use crate::auth::Editor;
use crate::state::AppState;
use crate::webhooks::manage::{self, CreatedSubscription, RotatedSecret};

/// Most deliveries one page of the delivery log lists.
const MAX_DELIVERIES: i64 = 500;

fn positive(field: &'static str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(field, format!("{field}: must be a positive integer")))
}

/// A list of subscriptions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    /// Oldest first.
    pub items: Vec<Subscription>,
}

/// A list of deliveries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    /// Newest first (for an event: required actions first).
    pub items: Vec<Delivery>,
}

/// A delivery queued for an attempt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    /// The delivery.
    pub delivery: i64,
}

/// How many deliveries were queued again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Requeued {
    /// Deliveries that will be sent again.
    pub redelivered: u64,
}

/// `POST /api/v1/webhooks/{id}/redeliver-failed`: from when.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeliverFailed {
    /// Failed deliveries made at or after this time are sent again (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub since: Option<String>,
}

/// Query of the delivery log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Most deliveries to list (1–500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// `POST /api/v1/webhooks`: a new subscription.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body(content = SubscriptionInput, description = "`url` is required; the rest defaults to an active, optional subscription to everything. Unknown fields are refused.",
        example = json!({"url": "https://hooks.example.org/announce", "description": "Announcement", "filter": {"dists": ["fedora"], "states": ["stable"], "reached": true, "kinds": ["event"]}, "required": true})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The subscription with its secret (`whsec_…`), shown this once", body = CreatedSubscription),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 409, description = "Webhooks are off on this server (no `WEBHOOK_KEY`)", body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A field breaks a rule, or the URL is not https or points at a private address; `field` names it", body = ErrorBody),
    )
)]
pub async fn create(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> Result<Response, ApiError> {
    let created = manage::create(&state.store, &state.webhooks, input, &who.actor().name).await?;
    let location = app::links::api_webhook(created.subscription.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(created)).into_response())
}

/// `GET /api/v1/webhooks`: every subscription.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    operation_id = "list_webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every subscription, without secrets", body = SubscriptionList),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
    )
)]
pub async fn list(
    AxumState(state): AxumState<AppState>,
    Editor(_): Editor,
) -> Result<Json<SubscriptionList>, ApiError> {
    Ok(Json(SubscriptionList { items: manage::list(&state.store).await? }))
}

/// `GET /api/v1/webhooks/{id}`: one subscription.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription, without its secret", body = Subscription),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 422, description = "The id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn one(
    AxumState(state): AxumState<AppState>,
    Editor(_): Editor,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(manage::get(&state.store, positive("id", &id)?).await?))
}

/// `PATCH /api/v1/webhooks/{id}`: changes, pauses (`active: false`) or
/// resumes a subscription.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "update_webhook",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1)),
    request_body(content = SubscriptionInput, description = "The fields to change; absent ones stay. `active: true` also clears the reason the server disabled it for.",
        example = json!({"active": false})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription as it is now", body = Subscription),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 409, description = "Webhooks are off on this server (no `WEBHOOK_KEY`)", body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "A field breaks a rule; `field` names it", body = ErrorBody),
    )
)]
pub async fn update(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> Result<Json<Subscription>, ApiError> {
    let id = positive("id", &id)?;
    Ok(Json(manage::update(&state.store, &state.webhooks, id, input, &who.actor().name).await?))
}

/// `DELETE /api/v1/webhooks/{id}`: deletes a subscription and its log.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted, with its deliveries"),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 422, description = "The id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn delete(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    manage::delete(&state.store, positive("id", &id)?, &who.actor().name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/webhooks/{id}/rotate`: a new secret.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate",
    tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new secret, shown this once; the previous one signs too until `previous_secret_until` (`--webhook-rotation-grace`)", body = RotatedSecret),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 409, description = "Webhooks are off on this server (no `WEBHOOK_KEY`)", body = ErrorBody),
        (status = 422, description = "An id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn rotate(
    AxumState(state): AxumState<AppState>,
    Editor(who): Editor,
    Path(id): Path<String>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let id = positive("id", &id)?;
    Ok(Json(manage::rotate(&state.store, &state.webhooks, id, &who.actor().name).await?))
}

/// `POST /api/v1/webhooks/{id}/ping`: a test delivery.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/ping",
    tag = "webhooks",
    operation_id = "ping_webhook",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1)),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A `webhook.ping` delivery is queued (`data`: `{\"subscription\": id}`); see the delivery log", body = Queued),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 409, description = "Webhooks are off on this server (no `WEBHOOK_KEY`)", body = ErrorBody),
        (status = 422, description = "An id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn ping(
    AxumState(state): AxumState<AppState>,
    Editor(_): Editor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let delivery = manage::ping(&state.store, &state.webhooks, positive("id", &id)?).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery })).into_response())
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the delivery log.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1), DeliveryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The newest deliveries, each with every attempt (time, status, latency, error, the start of the answer)", body = DeliveryList),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 422, description = "A parameter breaks a rule", body = ErrorBody),
    )
)]
pub async fn deliveries(
    AxumState(state): AxumState<AppState>,
    Editor(_): Editor,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_DELIVERIES).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("limit: must lie between 1 and {MAX_DELIVERIES}")));
    }
    Ok(Json(DeliveryList { items: manage::deliveries(&state.store, positive("id", &id)?, limit).await? }))
}

/// `POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver`.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/deliveries/{delivery}/redeliver",
    tag = "webhooks",
    operation_id = "redeliver_webhook",
    params(
        ("id" = i64, Path, description = "The subscription id", minimum = 1),
        ("delivery" = i64, Path, description = "The delivery id", minimum = 1),
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued: a new round of attempts under the same `webhook-id`", body = Queued),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "The subscription has no such delivery", body = ErrorBody),
        (status = 409, description = "Webhooks are off on this server (no `WEBHOOK_KEY`)", body = ErrorBody),
        (status = 422, description = "An id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn redeliver(
    AxumState(state): AxumState<AppState>,
    Editor(_): Editor,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (id, delivery) = (positive("id", &id)?, positive("delivery", &delivery)?);
    manage::redeliver(&state.store, &state.webhooks, Some(id), delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery })).into_response())
}

/// `POST /api/v1/webhooks/{id}/redeliver-failed`.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/redeliver-failed",
    tag = "webhooks",
    operation_id = "redeliver_failed_webhooks",
    params(("id" = i64, Path, description = "The subscription id", minimum = 1)),
    request_body(content = RedeliverFailed, description = "`since` is required.", example = json!({"since": "2026-11-30T00:00:00Z"})),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "How many failing or given-up deliveries are queued again", body = Requeued),
        (status = 400, description = answers::NOT_JSON, body = ErrorBody),
        (status = 401, description = answers::NO_TOKEN, body = ErrorBody),
        (status = 403, description = answers::NOT_AN_EDITOR, body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 409, description = "Webhooks are off on this server (no `WEBHOOK_KEY`)", body = ErrorBody),
        (status = 415, description = answers::NOT_JSON_CONTENT_TYPE, body = ErrorBody),
        (status = 422, description = "`since` is missing or not a time, or the id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn redeliver_failed(
    AxumState(state): AxumState<AppState>,
    Editor(_): Editor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RedeliverFailed>,
) -> Result<Response, ApiError> {
    let id = positive("id", &id)?;
    let since = input.since.ok_or_else(|| ApiError::invalid("since", "since: is required"))?;
    let since = app::model::time::parse_timestamp("since", &since)?;
    let redelivered = manage::redeliver_failed(&state.store, &state.webhooks, id, since).await?;
    Ok((StatusCode::ACCEPTED, Json(Requeued { redelivered })).into_response())
}

/// `GET /api/v1/events/{id}/actions`: the deliveries an event triggered.
#[utoipa::path(
    get,
    path = "/events/{id}/actions",
    tag = "webhooks",
    operation_id = "event_actions",
    params(("id" = i64, Path, description = "The event id", minimum = 1)),
    responses(
        (status = 200, description = "The deliveries the event (and its retraction) triggered, required release actions first, with their state and attempts (the receivers' answers are only in the delivery log)", body = DeliveryList),
        (status = 404, description = answers::UNKNOWN_EVENT, body = ErrorBody),
        (status = 422, description = "The id is not a positive integer", body = ErrorBody),
    )
)]
pub async fn event_actions(
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DeliveryList>, ApiError> {
    let id = positive("id", &id)?;
    if state.projection.read().event(id).is_none() {
        return Err(ApiError::NotFound(format!("no event {id}")));
    }
    Ok(Json(DeliveryList { items: manage::actions_of_event(&state.store, id).await? }))
}
