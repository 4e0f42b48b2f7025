//! Who the client is, for per-address limits: the socket's peer, or, when the peer is a
//! trusted reverse proxy (`WPT_TRUSTED_PROXIES`), the right-most address of the
//! forwarding chain that is not a trusted proxy.
//!
//! A proxy appends the address it received the request from to `X-Forwarded-For` (or
//! `Forwarded`); everything to the left of the last trusted hop was written by the
//! client and proves nothing, so the chain is read from the right and the first
//! untrusted hop is the client. `X-Forwarded-For` is read when present, else
//! `Forwarded`'s `for=` parameters: a proxy that writes only `Forwarded` must drop an
//! `X-Forwarded-For` sent by the client. Nothing is trusted by default.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::HeaderMap;

/// One trusted network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The reverse proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Net>);

impl TrustedProxies {
    /// Parses comma-separated addresses and CIDR networks (`10.0.0.0/8, 192.0.2.7,
    /// 2001:db8::/32`); the error names the entry that is neither.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || {
                format!(
                    "{entry:?} is not an address or CIDR network such as 10.0.0.0/8 or 2001:db8::/32"
                )
            };
            let (addr, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let addr: IpAddr = addr.parse().map_err(|_| bad())?;
            let addr = addr.to_canonical();
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            };
            nets.push(Net { addr, prefix });
        }
        Ok(Self(nets))
    }

    /// Whether nothing is trusted (the default).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        for hop in forwarded_hops(headers).into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = ip.to_canonical();
                    if !self.contains(client) {
                        return client;
                    }
                }
                // Unreadable: the last trusted hop is as far as anything is known.
                None => return client,
            }
        }
        client
    }
}

/// The forwarding chain, left (the first hop) to right (the last proxy's peer).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<_> = headers.get_all("x-forwarded-for").iter().collect();
    if !xff.is_empty() {
        return xff
            .into_iter()
            .flat_map(|v| match v.to_str() {
                Ok(text) => text.split(',').map(hop).collect::<Vec<_>>(),
                Err(_) => vec![None],
            })
            .collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|v| match v.to_str() {
            Ok(text) => text
                .split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, v)| hop(v))
                })
                .collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect()
}

/// One hop: `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted
/// or not; `unknown` and obfuscated names are `None`.
fn hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Some(rest) = text.strip_prefix('[') {
        return rest
            .split(']')
            .next()?
            .parse::<Ipv6Addr>()
            .ok()
            .map(IpAddr::V6);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    let (addr, port) = text.split_once(':')?;
    port.parse::<u16>().ok()?;
    addr.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn nothing_is_trusted_by_default_and_entries_parse_or_are_named() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(none.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        let t = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ,2001:db8::/32").expect("valid");
        assert!(t.contains(ip("10.255.0.1")) && t.contains(ip("192.0.2.7")));
        assert!(!t.contains(ip("192.0.2.8")) && !t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("2001:db8:ffff::1")) && t.contains(ip("::ffff:10.1.1.1")));
        for bad in ["10.0.0.0/33", "example.org", "10.0.0.0/x", "::1/129"] {
            let err = TrustedProxies::parse(bad).expect_err(bad);
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let t = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        let peer = ip("10.0.0.2");
        let client = |pairs| t.client(peer, &headers(pairs));
        assert_eq!(
            client(&[("x-forwarded-for", "198.51.100.1")]),
            ip("198.51.100.1")
        );
        // A hop the client wrote on the left is not believed.
        assert_eq!(
            client(&[("x-forwarded-for", "203.0.113.9, 198.51.100.1, 10.0.0.3")]),
            ip("198.51.100.1")
        );
        assert_eq!(
            client(&[
                ("x-forwarded-for", "203.0.113.9"),
                ("x-forwarded-for", "198.51.100.1")
            ]),
            ip("198.51.100.1")
        );
        // Unreadable hops stop the walk at the last trusted one.
        assert_eq!(
            client(&[("x-forwarded-for", "junk, 10.0.0.3")]),
            ip("10.0.0.3")
        );
        assert_eq!(client(&[]), peer);
        assert_eq!(
            client(&[(
                "forwarded",
                "for=203.0.113.9, for=\"[2001:db8::7]:4711\";proto=https"
            )]),
            ip("2001:db8::7")
        );
        assert_eq!(
            client(&[("forwarded", "for=192.0.2.60:8080;by=10.0.0.2")]),
            ip("192.0.2.60")
        );
        // X-Forwarded-For wins when both are present.
        assert_eq!(
            client(&[
                ("forwarded", "for=203.0.113.9"),
                ("x-forwarded-for", "198.51.100.1")
            ]),
            ip("198.51.100.1")
        );
        // An untrusted peer's headers are ignored.
        assert_eq!(
            t.client(
                ip("192.0.2.1"),
                &headers(&[("x-forwarded-for", "198.51.100.1")])
            ),
            ip("192.0.2.1")
        );
    }
}
