//! Secrets at rest: subscription secrets are stored encrypted
//! (XChaCha20-Poly1305 with a random nonce) under a key that only the
//! servers hold (`WEBHOOK_KEY`), so a dump of the database alone cannot
//! sign deliveries.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::sign::SigningSecret;

/// The version prefix of a sealed secret, so the scheme can change.
const SEALED_PREFIX: &str = "v1:";

/// The key secrets are sealed with: 32 bytes, given base64-encoded.
#[derive(Clone)]
pub struct SealKey(XChaCha20Poly1305);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

impl std::str::FromStr for SealKey {
    type Err = String;

    /// Reads the base64 form (`openssl rand -base64 32`).
    fn from_str(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "must be 32 bytes in base64 (make one with `openssl rand -base64 32`)".to_owned())?;
        if bytes.len() != 32 {
            return Err(format!("must be 32 bytes in base64, not {} bytes", bytes.len()));
        }
        XChaCha20Poly1305::new_from_slice(&bytes).map(SealKey).map_err(|_| "must be 32 bytes".to_owned())
    }
}

impl SealKey {
    /// Encrypts a secret for storage.
    pub fn seal(&self, secret: &SigningSecret) -> Result<String, String> {
        let nonce: [u8; 24] = rand::random();
        let sealed = self
            .0
            .encrypt(XNonce::from_slice(&nonce), secret.expose().as_bytes())
            .map_err(|_| "cannot encrypt the secret".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(out)))
    }

    /// Decrypts a stored secret; fails for another key or altered bytes.
    pub fn open(&self, stored: &str) -> Result<SigningSecret, String> {
        let encoded = stored.strip_prefix(SEALED_PREFIX).ok_or("a stored secret has an unknown form")?;
        let bytes = STANDARD.decode(encoded).map_err(|_| "a stored secret is not base64".to_owned())?;
        if bytes.len() < 24 {
            return Err("a stored secret is too short".into());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .0
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| "a stored secret does not open with WEBHOOK_KEY (another key, or altered)".to_owned())?;
        let text = String::from_utf8(plain).map_err(|_| "a stored secret is not text".to_owned())?;
        SigningSecret::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SealKey {
        STANDARD.encode([byte; 32]).parse().unwrap()
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let secret = SigningSecret::generate();
        let stored = key(1).seal(&secret).unwrap();
        assert!(!stored.contains(&secret.expose()[6..]), "the secret is not in the stored text");
        assert_ne!(stored, key(1).seal(&secret).unwrap(), "a fresh nonce each time");
        assert_eq!(key(1).open(&stored).unwrap(), secret);
        assert!(key(2).open(&stored).is_err());
        let mut altered = stored.clone();
        altered.replace_range(10..11, if &stored[10..11] == "A" { "B" } else { "A" });
        assert!(key(1).open(&altered).is_err());
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        assert!("c2hvcnQ=".parse::<SealKey>().is_err());
        assert!("not base64!".parse::<SealKey>().is_err());
        assert_eq!(format!("{:?}", key(3)), "SealKey(<redacted>)");
    }
}
