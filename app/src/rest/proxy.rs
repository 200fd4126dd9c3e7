//! The client address behind trusted reverse proxies (`NRMM_TRUST_PROXY`).
//!
//! `X-Forwarded-For` is written by whoever sends the request: its left-most entry is whatever
//! the client chose. Only a proxy we run appends an entry we can believe, so the address is found
//! from the right: starting at the peer, each hop that is a trusted proxy hands over to the entry
//! before it; the first hop that is not a trusted proxy is the client.

use ipnet::IpNet;
use std::net::IpAddr;

/// The reverse proxies whose `X-Forwarded-For` entries are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// No proxy is trusted: the peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses a comma- or space-separated list of addresses (`10.0.0.5`, `::1`) and ranges
    /// (`10.0.0.0/8`); `false` or an empty list trusts none.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            if item.eq_ignore_ascii_case("false") || item == "0" || item.eq_ignore_ascii_case("no") {
                continue;
            }
            let net = item.parse::<IpNet>().or_else(|_| item.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                format!("not an address or CIDR range: {item:?} (list the proxies, e.g. 127.0.0.1,10.0.0.0/8)")
            })?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.iter().any(|n| n.contains(&addr))
    }

    /// The client's address for a request from `peer` carrying `forwarded_for` (the values of
    /// every `X-Forwarded-For` header, in order).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let hops: Vec<&str> =
            forwarded_for.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
        let mut client = canonical(peer);
        for hop in hops.into_iter().rev() {
            match parse_hop(hop) {
                // A trusted proxy passed it on: believe the entry before it.
                Some(addr) if self.trusts(addr) => client = addr,
                Some(addr) => return addr,
                // Garbage where an address should be: nothing further left can be believed.
                None => return client,
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:567`, `[::1]:567`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(a) = hop.parse::<IpAddr>() {
        return Some(canonical(a));
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// IPv4-mapped IPv6 addresses as IPv4, so one rule covers both spellings.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let t = TrustedProxies::none();
        assert_eq!(t.client(ip("10.0.0.1"), &["203.0.113.9"]), ip("10.0.0.1"));
    }

    #[test]
    fn a_request_not_from_a_trusted_proxy_keeps_its_peer() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap_or_default();
        assert_eq!(t.client(ip("198.51.100.7"), &["203.0.113.9"]), ip("198.51.100.7"));
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap_or_default();
        // The client forged the first entry; the proxy appended the address it saw.
        assert_eq!(t.client(ip("127.0.0.1"), &["1.1.1.1, 203.0.113.9"]), ip("203.0.113.9"));
        // Two proxies in a row.
        assert_eq!(t.client(ip("127.0.0.1"), &["1.1.1.1, 203.0.113.9, 10.1.2.3"]), ip("203.0.113.9"));
        // Several headers count as one list.
        assert_eq!(t.client(ip("127.0.0.1"), &["1.1.1.1", "203.0.113.9:4711"]), ip("203.0.113.9"));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_believed_hop() {
        let t = TrustedProxies::parse("127.0.0.1 10.0.0.0/8").unwrap_or_default();
        assert_eq!(t.client(ip("127.0.0.1"), &["unknown, 10.0.0.2"]), ip("10.0.0.2"));
        assert_eq!(t.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
    }

    #[test]
    fn mapped_addresses_and_bad_lists() {
        let t = TrustedProxies::parse("127.0.0.1").unwrap_or_default();
        assert_eq!(t.client(ip("::ffff:127.0.0.1"), &["203.0.113.9"]), ip("203.0.113.9"));
        assert!(TrustedProxies::parse("true").is_err());
        assert!(TrustedProxies::parse("false").is_ok_and(|t| t.is_empty()));
    }
}
