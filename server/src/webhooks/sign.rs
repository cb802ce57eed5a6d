//! Standard Webhooks 1.0 signatures: secrets (`whsec_` + base64 of 32
//! random bytes) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 over
//! `id.timestamp.body`, one per secret that signs).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret as clients see it.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing secret: the raw key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl SigningSecret {
    /// A new random secret of 32 bytes.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(bytes.to_vec())
    }

    /// Reads `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or("a secret starts with whsec_")?;
        let bytes = STANDARD.decode(encoded).map_err(|_| "a secret is base64 after whsec_".to_owned())?;
        if !(24..=64).contains(&bytes.len()) {
            return Err("a secret holds between 24 and 64 bytes".into());
        }
        Ok(Self(bytes))
    }

    /// `whsec_<base64>`, as shown once to the editor who creates it.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The signature `v1,<base64>` of one message.
    pub fn sign(&self, webhook_id: &str, timestamp: i64, body: &str) -> String {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(webhook_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, separated by
/// spaces (the current one first; the previous one during a rotation's
/// grace period, so receivers that still hold it keep verifying).
pub fn signature_header(secrets: &[SigningSecret], webhook_id: &str, timestamp: i64, body: &str) -> String {
    secrets.iter().map(|s| s.sign(webhook_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the specification
    /// (standard-webhooks/standard-webhooks, `spec/standard-webhooks.md`,
    /// and every reference library's tests).
    #[test]
    fn the_specifications_test_vector() {
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_round_trip_and_refuse_other_forms() {
        let s = SigningSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(SigningSecret::parse(&s.expose()).unwrap(), s);
        assert_ne!(SigningSecret::generate(), s);
        for bad in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!", "whsec_YWJj"] {
            assert!(SigningSecret::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{s:?}"), "SigningSecret(<redacted>)");
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let (new, old) = (SigningSecret::generate(), SigningSecret::generate());
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", 10, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, vec![new.sign("msg_1", 10, "{}"), old.sign("msg_1", 10, "{}")]);
    }
}
