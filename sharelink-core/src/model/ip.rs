//! IP networks (CIDR, v4 and v6), per-share allow-lists, and IP truncation for logs.

use crate::CidrError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IP network such as `192.0.2.0/24` or `2001:db8::/32`; a bare address is a /32 or
/// /128. IPv4-mapped IPv6 clients (`::ffff:192.0.2.1`) match IPv4 networks.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `address` or `address/prefix`. Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
    ///
    /// # Errors
    /// [`CidrError`] when the address or prefix is not valid.
    pub fn parse(text: &str) -> Result<Self, CidrError> {
        let t = text.trim();
        let (addr_text, prefix_text) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| CidrError::Invalid(t.chars().take(60).collect()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => p
                .parse::<u8>()
                .map_err(|_| CidrError::Invalid(t.chars().take(60).collect()))?,
            Some(_) => return Err(CidrError::Invalid(t.chars().take(60).collect())),
        };
        if prefix > max {
            return Err(CidrError::PrefixTooLong {
                text: t.chars().take(60).collect(),
                prefix,
            });
        }
        Ok(Self {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` lies in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.addr
            }
            _ => false,
        }
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

/// Truncates an address for privacy-preserving logs: keeps the first `v4_bits` of an IPv4
/// address and the first `v6_bits` of an IPv6 one (e.g. 24 and 48).
pub fn truncate_ip(ip: IpAddr, v4_bits: u8, v6_bits: u8) -> IpAddr {
    match canonical(ip) {
        v4 @ IpAddr::V4(_) => mask(v4, v4_bits.min(32)),
        v6 => mask(v6, v6_bits.min(128)),
    }
}

impl TryFrom<String> for IpNet {
    type Error = CidrError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}
impl From<IpNet> for String {
    fn from(n: IpNet) -> String {
        n.to_string()
    }
}
impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}
impl fmt::Debug for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IpNet({self})")
    }
}

/// A per-share IP allow-list. Empty means every address is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IpAllowList(Vec<IpNet>);

impl IpAllowList {
    /// A list of networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// Parses each entry.
    ///
    /// # Errors
    /// The first entry's [`CidrError`].
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, CidrError> {
        entries
            .into_iter()
            .map(IpNet::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `ip` may pass. An unknown client address passes only an empty list.
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        ip.is_some_and(|ip| self.0.iter().any(|n| n.contains(ip)))
    }

    /// Whether the list restricts anything.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks.
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_table() {
        let cases = [
            ("192.0.2.0/24", "192.0.2.77", true),
            ("192.0.2.0/24", "192.0.3.1", false),
            ("10.1.2.3/8", "10.200.0.1", true),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("0.0.0.0/0", "::1", false),
            ("203.0.113.9", "203.0.113.9", true),
            ("203.0.113.9", "203.0.113.10", false),
            ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::5", false),
            ("192.0.2.0/24", "::ffff:192.0.2.5", true),
            ("::/0", "2001:db8::1", true),
        ];
        for (net, addr, expected) in cases {
            assert_eq!(
                IpNet::parse(net).unwrap().contains(ip(addr)),
                expected,
                "{net} {addr}"
            );
        }
        for bad in [
            "",
            "300.1.1.1",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "a.b.c.d/8",
        ] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_list() {
        let list = IpAllowList::parse(["10.0.0.0/8", "2001:db8::/32"]).unwrap();
        assert!(list.allows(Some(ip("10.9.9.9"))));
        assert!(!list.allows(Some(ip("11.0.0.1"))));
        assert!(!list.allows(None));
        assert!(IpAllowList::default().allows(None));
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate_ip(ip("192.0.2.77"), 24, 48), ip("192.0.2.0"));
        assert_eq!(
            truncate_ip(ip("2001:db8:aaaa:bbbb::1"), 24, 48),
            ip("2001:db8:aaaa::")
        );
    }

    proptest! {
        #[test]
        fn a_network_contains_exactly_the_addresses_sharing_its_prefix(a in any::<u32>(), b in any::<u32>(), prefix in 0u8..=32) {
            let net = IpNet::parse(&format!("{}/{prefix}", Ipv4Addr::from(a))).unwrap();
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
            prop_assert_eq!(net.contains(IpAddr::V4(Ipv4Addr::from(b))), a & m == b & m);
        }

        #[test]
        fn v6_networks_never_contain_v4_only_clients(a in any::<u128>(), b in any::<u32>(), prefix in 1u8..=128) {
            let net = IpNet::parse(&format!("{}/{prefix}", Ipv6Addr::from(a))).unwrap();
            prop_assert!(!net.contains(IpAddr::V4(Ipv4Addr::from(b))));
        }
    }
}
