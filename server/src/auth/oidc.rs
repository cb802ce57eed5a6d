//! OpenID Connect with the `openidconnect` crate: discovery (issuer
//! pinned), the authorization URL with state, nonce and PKCE, and at the
//! callback the code exchange, ID-token validation and UserInfo, where
//! Fedora's provider puts `nickname` and `groups`.

use std::str::FromStr;
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreIdToken,
    CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse,
    CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthType, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyAdditionalClaims, EndpointMaybeSet, EndpointNotSet, EndpointSet, ExtraTokenFields, IdToken, IssuerUrl,
    JsonWebKey, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    StandardErrorResponse, StandardTokenResponse, SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::config::{ClientAuth, OidcSettings};

/// How long discovered metadata and keys are trusted before they are
/// fetched again (providers rotate their signing keys).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// Time allowed for each request to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The `groups` claim Fedora's provider returns from UserInfo.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupsClaim {
    /// Group names; absent means none.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl AdditionalClaims for GroupsClaim {}

/// The token response with the ID token kept as text. openidconnect's own
/// response type parses the ID token on arrival and rejects the whole
/// response when an older Ipsilon sends `"amr": "[]"` (a string where the
/// spec has an array); [`Provider::verify_id_token`] validates it instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawTokenResponse(StandardTokenResponse<RawIdToken, CoreTokenType>);

/// The `id_token` field, unparsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawIdToken {
    /// The compact JWT.
    #[serde(default)]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for RawIdToken {}

impl OAuth2TokenResponse for RawTokenResponse {
    type TokenType = CoreTokenType;

    fn access_token(&self) -> &AccessToken {
        self.0.access_token()
    }

    fn token_type(&self) -> &CoreTokenType {
        self.0.token_type()
    }

    fn expires_in(&self) -> Option<Duration> {
        self.0.expires_in()
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.0.refresh_token()
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.0.scopes()
    }
}

impl TokenResponse<EmptyAdditionalClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>
    for RawTokenResponse
{
    /// Always `None`: the ID token is read from [`RawIdToken`].
    fn id_token(
        &self,
    ) -> Option<
        &IdToken<EmptyAdditionalClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>,
    > {
        None
    }
}

/// The client type discovery yields, with our token response.
type OidcClient = Client<
    EmptyAdditionalClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    RawTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What discovery found.
struct Discovered {
    client: OidcClient,
    keys: CoreJsonWebKeySet,
    at: Instant,
}

/// What a login in progress keeps in the session until the callback: used
/// once, then removed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent to the provider.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
    /// Where to go after login (a path on this site).
    pub next: String,
    /// Unix seconds, to expire abandoned logins.
    pub started: i64,
}

/// Who logged in, as the provider says.
#[derive(Debug, Clone)]
pub struct ProviderUser {
    /// Issuer as discovered.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `nickname`, else `preferred_username`.
    pub nickname: String,
    /// `groups` from UserInfo.
    pub groups: Vec<String>,
}

/// Why a login failed; the message is for the log, not the browser.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LoginError(pub String);

fn fail(what: &str) -> impl Fn(String) -> LoginError + '_ {
    move |e| LoginError(format!("{what}: {e}"))
}

/// One configured identity provider.
pub struct Provider {
    settings: OidcSettings,
    redirect: RedirectUrl,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<Discovered>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("issuer", &self.settings.issuer.as_str()).finish_non_exhaustive()
    }
}

impl Provider {
    /// A provider; discovery happens at the first login (or [`Self::discover`]).
    pub fn new(settings: OidcSettings, redirect_uri: &str) -> Result<Self, String> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| format!("redirect URI: {e}"))?;
        // No redirects: a provider must answer its endpoints directly, and
        // following them would let a bad metadata document steer requests.
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { settings, redirect, http, discovered: RwLock::new(None) })
    }

    /// The issuer as configured.
    pub fn issuer(&self) -> &str {
        self.settings.issuer.as_str()
    }

    /// Fetches the provider's metadata and keys (again, when stale).
    pub async fn discover(&self) -> Result<(), LoginError> {
        let issuer = IssuerUrl::new(self.settings.issuer.to_string()).map_err(|e| fail("issuer URL")(e.to_string()))?;
        // discover_async checks that the document names exactly this issuer.
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| fail("discovery")(error_chain(&e)))?;
        let keys = metadata.jwks().clone();
        let auth_type = match self.settings.client_auth {
            ClientAuth::Post => AuthType::RequestBody,
            ClientAuth::Basic => AuthType::BasicAuth,
        };
        let client = Client::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
        .set_auth_type(auth_type);
        *self.discovered.write().await = Some(Discovered { client, keys, at: Instant::now() });
        Ok(())
    }

    async fn fresh(&self) -> Result<tokio::sync::RwLockReadGuard<'_, Discovered>, LoginError> {
        let stale = self.discovered.read().await.as_ref().is_none_or(|d| d.at.elapsed() > METADATA_TTL);
        if stale {
            self.discover().await?;
        }
        tokio::sync::RwLockReadGuard::try_map(self.discovered.read().await, Option::as_ref)
            .map_err(|_| LoginError("provider metadata missing".into()))
    }

    /// The URL to send the browser to, and what the callback will need.
    pub async fn start(&self, next: String) -> Result<(String, PendingLogin), LoginError> {
        let discovered = self.fresh().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next,
            started: chrono::Utc::now().timestamp(),
        };
        Ok((url.to_string(), pending))
    }

    /// Finishes a login at the callback: exchanges the code (with the PKCE
    /// verifier), validates the ID token (signature, issuer, audience,
    /// expiry, nonce) and reads UserInfo.
    pub async fn finish(&self, pending: &PendingLogin, code: String) -> Result<ProviderUser, LoginError> {
        let discovered = self.fresh().await?;
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| fail("token endpoint")(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| fail("code exchange")(error_chain(&e)))?;
        let raw = response.0.extra_fields().id_token.as_deref().ok_or_else(|| LoginError("no ID token".into()))?;
        let subject = verify_id_token(&discovered, raw, &Nonce::new(pending.nonce.clone()))?;
        let info: UserInfoClaims<GroupsClaim, CoreGenderClaim> = discovered
            .client
            .user_info(response.access_token().clone(), Some(subject.clone()))
            .map_err(|e| fail("UserInfo endpoint")(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| fail("UserInfo")(error_chain(&e)))?;
        let nickname = info
            .nickname()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .or_else(|| info.preferred_username().map(|n| n.as_str().to_owned()))
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| LoginError("UserInfo has neither `nickname` nor `preferred_username`".into()))?;
        // It is recorded as the author of every write and names the
        // person's tokens: the provider must not put anything there that
        // the log would refuse as a name.
        app::model::name::check_name("nickname", &nickname)
            .map_err(|e| LoginError(format!("the provider's nickname {}", e.message)))?;
        Ok(ProviderUser {
            issuer: self.settings.issuer.to_string(),
            subject: subject.as_str().to_owned(),
            nickname,
            groups: info.additional_claims().groups.clone(),
        })
    }
}

/// Validates the ID token and returns its subject. Tokens the crate can
/// read go through its verifier unchanged. One that it cannot read only
/// because `amr` is a string (older Ipsilon sends `"[]"`) has its signature
/// checked here with the provider's key, its `amr` turned into an array,
/// and then the crate checks every claim.
fn verify_id_token(discovered: &Discovered, raw: &str, nonce: &Nonce) -> Result<SubjectIdentifier, LoginError> {
    let verifier = discovered.client.id_token_verifier();
    let token = match CoreIdToken::from_str(raw) {
        Ok(token) => {
            let claims = token.claims(&verifier, nonce).map_err(|e| fail("ID token")(e.to_string()))?;
            return Ok(claims.subject().clone());
        }
        Err(e) => match amr_as_array(raw) {
            Some(fixed) => {
                check_signature(&discovered.keys, raw)?;
                CoreIdToken::from_str(&fixed).map_err(|e| fail("ID token")(e.to_string()))?
            }
            None => return Err(fail("ID token")(e.to_string())),
        },
    };
    let verifier = verifier.insecure_disable_signature_check();
    let claims = token.claims(&verifier, nonce).map_err(|e| fail("ID token")(e.to_string()))?;
    Ok(claims.subject().clone())
}

fn b64(part: &str) -> Result<Vec<u8>, LoginError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| LoginError(format!("ID token encoding: {e}")))
}

/// The token with a string `amr` replaced by an array (signature dropped:
/// it no longer matches); `None` when `amr` is not a string.
fn amr_as_array(raw: &str) -> Option<String> {
    let mut parts = raw.split('.');
    let (header, payload) = (parts.next()?, parts.next()?);
    let mut claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&b64(payload).ok()?).ok()?;
    let serde_json::Value::String(amr) = claims.get("amr")? else {
        return None;
    };
    let fixed = match serde_json::from_str::<Vec<String>>(amr) {
        Ok(list) => list,
        Err(_) => vec![amr.clone()],
    };
    claims.insert("amr".into(), serde_json::json!(fixed));
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).ok()?);
    Some(format!("{header}.{payload}."))
}

/// Checks a compact JWS signature with the provider's published keys.
fn check_signature(keys: &CoreJsonWebKeySet, raw: &str) -> Result<(), LoginError> {
    #[derive(Deserialize)]
    struct Header {
        alg: CoreJwsSigningAlgorithm,
        kid: Option<String>,
    }
    let (signing_input, signature) = raw.rsplit_once('.').ok_or_else(|| LoginError("ID token is not a JWS".into()))?;
    let header = signing_input.split('.').next().unwrap_or_default();
    let header: Header =
        serde_json::from_slice(&b64(header)?).map_err(|e| LoginError(format!("ID token header: {e}")))?;
    // Only public-key algorithms: `none` and HMAC are never accepted here.
    let asymmetric = matches!(
        header.alg,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
            | CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384
            | CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512
            | CoreJwsSigningAlgorithm::RsaSsaPssSha256
            | CoreJwsSigningAlgorithm::RsaSsaPssSha384
            | CoreJwsSigningAlgorithm::RsaSsaPssSha512
            | CoreJwsSigningAlgorithm::EcdsaP256Sha256
            | CoreJwsSigningAlgorithm::EcdsaP384Sha384
            | CoreJwsSigningAlgorithm::EdDsa
    );
    if !asymmetric {
        return Err(LoginError("ID token signed with an algorithm we do not accept".into()));
    }
    let signature = b64(signature)?;
    let candidates: Vec<&CoreJsonWebKey> = keys
        .keys()
        .iter()
        .filter(|k| header.kid.as_deref().is_none_or(|kid| k.key_id().is_some_and(|id| id.as_str() == kid)))
        .collect();
    if candidates.iter().any(|k| k.verify_signature(&header.alg, signing_input.as_bytes(), &signature).is_ok()) {
        Ok(())
    } else {
        Err(LoginError("ID token signature does not verify with the provider's keys".into()))
    }
}

/// An error with its causes, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(value: &serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn the_crate_alone_rejects_ipsilon_amr_and_the_fix_is_an_array() {
        let header = part(&serde_json::json!({"alg": "RS256", "kid": "k"}));
        let claims = serde_json::json!({
            "iss": "https://id.fedoraproject.org/openidc/", "sub": "1", "aud": "rt",
            "exp": 4_000_000_000i64, "iat": 1_700_000_000i64, "nonce": "n", "amr": "[]"
        });
        let raw = format!("{header}.{}.c2ln", part(&claims));
        assert!(CoreIdToken::from_str(&raw).is_err(), "openidconnect refuses amr as a string");
        let fixed = amr_as_array(&raw).expect("amr was a string");
        assert!(CoreIdToken::from_str(&fixed).is_ok());
        let payload: serde_json::Value =
            serde_json::from_slice(&b64(fixed.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(payload["amr"], serde_json::json!([]));
        let other = serde_json::json!({"amr": "pwd"});
        let raw = format!("{header}.{}.c2ln", part(&other));
        let payload: serde_json::Value =
            serde_json::from_slice(&b64(amr_as_array(&raw).unwrap().split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(payload["amr"], serde_json::json!(["pwd"]));
        let array = serde_json::json!({"amr": ["pwd"]});
        assert!(amr_as_array(&format!("{header}.{}.c2ln", part(&array))).is_none());
    }

    #[test]
    fn symmetric_and_unsigned_tokens_are_refused() {
        let keys = CoreJsonWebKeySet::new(vec![]);
        for alg in ["none", "HS256"] {
            let header = part(&serde_json::json!({ "alg": alg }));
            let raw = format!("{header}.e30.");
            assert!(check_signature(&keys, &raw).is_err(), "{alg}");
        }
        let header = part(&serde_json::json!({"alg": "RS256"}));
        assert!(check_signature(&keys, &format!("{header}.e30.c2ln")).is_err(), "no key verifies");
    }
}
