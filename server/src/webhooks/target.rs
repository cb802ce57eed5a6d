//! Where deliveries may go: `https` targets on public addresses, unless
//! the operator allows more (`--webhook-allow-private`). Names are checked
//! when a subscription is saved and again at every delivery, by the
//! client's own resolver, so a name that later resolves to a private
//! address (DNS rebinding) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Whether an address is reachable on the public internet: not loopback,
/// private, link-local, shared (CGNAT), documentation, benchmarking,
/// multicast, broadcast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || first == 0x0064 && ip.segments()[1] == 0xff9b)
}

/// What may be a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Plain `http` and private addresses allowed (tests, closed networks).
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Checks a target's scheme and, for a literal address, the address;
    /// names are checked by [`TargetPolicy::check_resolved`].
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        if url.scheme() != "https" && !self.allow_private {
            return Err("must be an https:// address".into());
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => return Err("must name a host".into()),
        };
        match literal {
            Some(ip) if !self.allow_private && !is_public(ip) => {
                Err(format!("points at {ip}, a private address; only public addresses are allowed"))
            }
            _ => Ok(()),
        }
    }

    /// Resolves a target's name and refuses it if any address is private.
    pub async fn check_resolved(&self, url: &url::Url) -> Result<(), String> {
        self.check_url(url)?;
        let Some(url::Host::Domain(name)) = url.host() else { return Ok(()) };
        if self.allow_private {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| format!("the name {name} does not resolve"))?
            .collect();
        match addrs.iter().find(|a| !is_public(a.ip())) {
            Some(private) => Err(format!("{name} resolves to {}, a private address", private.ip())),
            None if addrs.is_empty() => Err(format!("the name {name} does not resolve")),
            None => Ok(()),
        }
    }
}

/// The delivery client's resolver: the system's, keeping only public
/// addresses unless private ones are allowed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    /// What is allowed.
    pub policy: TargetPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.policy.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves to no public address").into();
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver as the client builder takes it.
pub fn resolver(policy: TargetPolicy) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { policy })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "38.145.60.20", "2620:52:3:1:dead:beef:cafe:fed6", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_policy_refuses_plain_http_and_private_literals() {
        let strict = TargetPolicy { allow_private: false };
        let open = TargetPolicy { allow_private: true };
        let url = |u: &str| url::Url::parse(u).unwrap();
        assert!(strict.check_url(&url("https://hooks.example.org/x")).is_ok());
        assert!(strict.check_url(&url("http://hooks.example.org/x")).unwrap_err().contains("https"));
        assert!(strict.check_url(&url("https://127.0.0.1/x")).unwrap_err().contains("private"));
        assert!(strict.check_url(&url("https://[::1]:8443/x")).unwrap_err().contains("private"));
        assert!(open.check_url(&url("http://127.0.0.1:8080/x")).is_ok());
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_private_address_is_refused() {
        let strict = TargetPolicy { allow_private: false };
        let e = strict.check_resolved(&url::Url::parse("https://localhost/hook").unwrap()).await.unwrap_err();
        assert!(e.contains("private address"), "{e}");
        let open = TargetPolicy { allow_private: true };
        assert!(open.check_resolved(&url::Url::parse("http://localhost/hook").unwrap()).await.is_ok());
    }
}
