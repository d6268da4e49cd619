//! Sending a webhook: one POST, its answer recorded, nothing more. Redirects are never
//! followed (the specification counts a 3xx as a failure, and following one would let a
//! merchant point the server anywhere), and unless private addresses are allowed (development)
//! the server only connects to public addresses, so a merchant's URL cannot make it probe its
//! own network or a cloud metadata service.

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Url, redirect};

/// The longest URL a merchant may register.
const MAX_URL_CHARS: usize = 2_000;

/// How much of an answer's body is kept for the delivery log.
const EXCERPT_BYTES: usize = 1_024;

/// The whole exchange, from connecting to the excerpt's last byte.
const TIMEOUT: Duration = Duration::from_secs(10);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

const USER_AGENT: &str = "refund-validator-webhooks/1";

/// Why a webhook URL is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("the URL is longer than 2,000 characters")]
    TooLong,
    #[error("the URL cannot be read as an absolute URL")]
    Malformed,
    #[error("the URL does not start with http:// or https://")]
    NotHttp,
    #[error("the URL carries a user name or password")]
    Credentials,
}

/// The URL a merchant gave, if the server may send webhooks to it.
pub fn check_url(url: &str) -> Result<Url, UrlProblem> {
    // Checked before parsing too, so a huge input is not parsed at all.
    if url.chars().count() > MAX_URL_CHARS {
        return Err(UrlProblem::TooLong);
    }
    // The parser refuses an http(s) URL without a host, so a parsed one always has one.
    let parsed = Url::parse(url).map_err(|_| UrlProblem::Malformed)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlProblem::NotHttp);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    // Percent-encoding can lengthen it; what is stored and sent is the parsed form.
    if parsed.as_str().chars().count() > MAX_URL_CHARS {
        return Err(UrlProblem::TooLong);
    }
    Ok(parsed)
}

/// IPv4 blocks not reachable on the internet, as (network, prefix length).
const NOT_PUBLIC_V4: [(Ipv4Addr, u32); 14] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network", the unspecified address
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private
    (Ipv4Addr::new(100, 64, 0, 0), 10), // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, where cloud metadata services answer
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, and the broadcast address
];

/// The blocks of global unicast IPv6 (2000::/3) that are not reachable on the internet.
const NOT_PUBLIC_V6: [(Ipv6Addr, u32); 3] = [
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, Teredo
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation
];

/// Whether `ip` is an address on the public internet, the only kind a webhook may reach.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !NOT_PUBLIC_V4.iter().any(|&(network, length)| {
        let mask = u32::MAX << (32 - length);
        bits & mask == u32::from(network)
    })
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // An address that carries an IPv4 address reaches that address, so that one decides.
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let bits = u128::from(ip);
    let within = |network: Ipv6Addr, length: u32| {
        let mask = u128::MAX << (128 - length);
        bits & mask == u128::from(network)
    };
    // Only 2000::/3 is allocated for global unicast: this leaves out loopback, unique-local,
    // link-local, multicast and the rest at once.
    within(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3)
        && !NOT_PUBLIC_V6
            .iter()
            .any(|&(network, length)| within(network, length))
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let last_32 = Ipv4Addr::from(bits as u32);
    match bits >> 32 {
        // IPv4-compatible ::a.b.c.d (also :: and ::1), IPv4-mapped ::ffff:a.b.c.d, and NAT64
        // 64:ff9b::a.b.c.d.
        0 | 0xffff | 0x0064_ff9b_0000_0000_0000_0000 => Some(last_32),
        // 6to4, 2002:aabb:ccdd::/48 for a.b.c.d (aa = a, …).
        _ if bits >> 112 == 0x2002 => Some(Ipv4Addr::from((bits >> 80) as u32)),
        _ => None,
    }
}

/// Why the server did not connect: the name led to an address that is not public.
#[derive(Debug, thiserror::Error)]
#[error("refused address {0}: not a public address")]
struct RefusedAddress(IpAddr);

/// Resolves names with the system resolver and refuses a name with any non-public address, so
/// the address checked is the address connected to (no second lookup a rebinding name could
/// answer differently).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(refused) = addresses.iter().find(|address| !is_public(address.ip())) {
                return Err(RefusedAddress(refused.ip()).into());
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// What one delivery attempt got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The answer's status, whatever it is (a 3xx is recorded, never followed); `None` when no
    /// answer came.
    pub status: Option<u16>,
    /// From sending to the answer's head, or to the failure.
    pub latency: Duration,
    /// The first 1,024 bytes of the answer's body, as UTF-8 with invalid bytes replaced.
    pub excerpt: String,
    /// Why no answer, or no whole excerpt, came: a timeout, a refused address, a refused
    /// connection, a TLS failure.
    pub error: Option<String>,
}

/// Sends webhooks. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    /// A sender with the 10 s timeout. `allow_private` lets it reach loopback and private
    /// networks, for development and tests only.
    pub fn new(allow_private: bool) -> Sender {
        Sender::with_timeout(allow_private, TIMEOUT)
    }

    /// A sender whose whole exchange ends after `timeout`.
    pub fn with_timeout(allow_private: bool, timeout: Duration) -> Sender {
        let builder = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .user_agent(USER_AGENT)
            // Through a proxy the resolver would check the proxy's address, not the receiver's.
            .no_proxy();
        let builder = if allow_private {
            builder
        } else {
            builder.dns_resolver(Arc::new(PublicOnly))
        };
        let client = builder
            .build()
            .expect("the TLS backend and its roots are built in");
        Sender {
            client,
            allow_private,
        }
    }

    /// POSTs `body` as JSON to `url` with `headers` (a Content-Type among them is replaced).
    pub async fn post(
        &self,
        url: &Url,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Attempt {
        let started = Instant::now();
        // The resolver is not asked about an IP literal, so it is checked here.
        if let Some(ip) = literal_ip(url)
            && !self.allow_private
            && !is_public(ip)
        {
            return Attempt {
                status: None,
                latency: started.elapsed(),
                excerpt: String::new(),
                error: Some(RefusedAddress(ip).to_string()),
            };
        }
        let mut request = self
            .client
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            if !name.eq_ignore_ascii_case(CONTENT_TYPE.as_str()) {
                request = request.header(*name, value);
            }
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Attempt {
                    status: None,
                    latency: started.elapsed(),
                    excerpt: String::new(),
                    error: Some(describe(&error)),
                };
            }
        };
        let latency = started.elapsed();
        let status = Some(response.status().as_u16());
        let mut head = Vec::new();
        let mut error = None;
        while head.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let wanted = chunk.len().min(EXCERPT_BYTES - head.len());
                    head.extend_from_slice(&chunk[..wanted]);
                }
                Ok(None) => break,
                Err(failure) => {
                    error = Some(describe(&failure));
                    break;
                }
            }
        }
        // The rest of the body is never read: dropping the response closes the connection.
        Attempt {
            status,
            latency,
            excerpt: excerpt(head),
            error,
        }
    }
}

/// The URL's host when it is an address rather than a name (the parser has already written any
/// IPv4 form, such as `0x7f.1`, as four decimal numbers, and IPv6 within brackets).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    unbracketed.parse().ok()
}

/// The first bytes of a body as text. A character cut in two by the limit is dropped rather
/// than shown as a replacement character.
fn excerpt(mut head: Vec<u8>) -> String {
    if head.len() == EXCERPT_BYTES
        && let Err(error) = std::str::from_utf8(&head)
        && error.error_len().is_none()
    {
        head.truncate(error.valid_up_to());
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A short reason for the delivery log: reqwest's own message names only the URL, the cause
/// sits at the bottom of the chain.
fn describe(error: &reqwest::Error) -> String {
    let mut cause: &dyn Error = error;
    while let Some(source) = cause.source() {
        if let Some(refused) = source.downcast_ref::<RefusedAddress>() {
            return refused.to_string();
        }
        cause = source;
    }
    match (error.is_timeout(), error.is_connect()) {
        (true, true) => "timed out connecting".to_owned(),
        (true, false) => "timed out waiting for the answer".to_owned(),
        (false, true) => format!("could not connect: {cause}"),
        (false, false) => cause.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_without_credentials_are_accepted() {
        fn check(url: &str, expected: Result<&str, UrlProblem>) {
            assert_eq!(
                check_url(url).as_ref().map(Url::as_str).map_err(|e| *e),
                expected,
                "{url}"
            );
        }
        check(
            "https://shop.example/hooks",
            Ok("https://shop.example/hooks"),
        );
        check(
            "http://shop.example:8080/h?a=1",
            Ok("http://shop.example:8080/h?a=1"),
        );
        check("HTTPS://Shop.Example", Ok("https://shop.example/"));
        check("https://203.0.113.7/h", Ok("https://203.0.113.7/h"));
        check("ftp://shop.example/h", Err(UrlProblem::NotHttp));
        check("mailto:hooks@shop.example", Err(UrlProblem::NotHttp));
        check("file:///etc/passwd", Err(UrlProblem::NotHttp));
        check("shop.example/hooks", Err(UrlProblem::Malformed));
        check("/hooks", Err(UrlProblem::Malformed));
        check("http://", Err(UrlProblem::Malformed));
        check("https://exa mple.com/", Err(UrlProblem::Malformed));
        check("", Err(UrlProblem::Malformed));
        check(
            "https://user:pass@shop.example/",
            Err(UrlProblem::Credentials),
        );
        check("https://user@shop.example/", Err(UrlProblem::Credentials));
        check("https://:pass@shop.example/", Err(UrlProblem::Credentials));
    }

    #[test]
    fn a_url_of_two_thousand_characters_is_the_longest_accepted() {
        let base = "https://shop.example/";
        let at_limit = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
        assert!(check_url(&at_limit).is_ok());
        assert_eq!(check_url(&format!("{at_limit}a")), Err(UrlProblem::TooLong));
        // Percent-encoding makes the stored form longer than what was typed.
        let accented = format!("{base}{}", "é".repeat(700));
        assert_eq!(check_url(&accented), Err(UrlProblem::TooLong));
    }

    #[test]
    fn only_addresses_on_the_public_internet_are_public() {
        fn check(ip: &str, expected: bool) {
            assert_eq!(is_public(ip.parse().unwrap()), expected, "{ip}");
        }
        check("8.8.8.8", true);
        check("1.1.1.1", true);
        check("93.184.215.14", true);
        check("100.63.255.255", true);
        check("100.128.0.0", true);
        check("172.15.255.255", true);
        check("172.32.0.0", true);
        check("223.255.255.255", true);
        check("0.0.0.0", false);
        check("0.1.2.3", false);
        check("10.0.0.1", false);
        check("100.64.0.1", false);
        check("100.127.255.255", false);
        check("127.0.0.1", false);
        check("127.255.255.254", false);
        check("169.254.169.254", false);
        check("172.16.0.1", false);
        check("172.31.255.255", false);
        check("192.0.0.8", false);
        check("192.0.2.1", false);
        check("192.168.1.1", false);
        check("198.18.0.1", false);
        check("198.51.100.1", false);
        check("203.0.113.1", false);
        check("224.0.0.1", false);
        check("239.255.255.250", false);
        check("240.0.0.1", false);
        check("255.255.255.255", false);

        check("2606:4700:4700::1111", true);
        check("2a00:1450:4001:80b::200e", true);
        check("::", false);
        check("::1", false);
        check("fe80::1", false);
        check("febf::1", false);
        check("fc00::1", false);
        check("fd12:3456:789a::1", false);
        check("ff02::1", false);
        check("100::1", false);
        check("2001:db8::1", false);
        check("2001::1", false);
        check("3fff::1", false);
        check("64:ff9b:1::1", false);
        check("::ffff:8.8.8.8", true);
        check("::ffff:127.0.0.1", false);
        check("::ffff:10.0.0.1", false);
        check("::ffff:169.254.169.254", false);
        check("::8.8.8.8", true);
        check("::127.0.0.1", false);
        check("64:ff9b::8.8.8.8", true);
        check("64:ff9b::127.0.0.1", false);
        check("64:ff9b::192.168.0.1", false);
        check("2002:0808:0808::1", true);
        check("2002:7f00:0001::1", false);
        check("2002:c0a8:0101::1", false);
    }

    #[test]
    fn an_excerpt_drops_a_character_cut_by_the_limit_only() {
        fn check(head: Vec<u8>, expected: &str) {
            assert_eq!(excerpt(head), expected);
        }
        let mut cut = vec![b'a'; EXCERPT_BYTES - 1];
        cut.push(0xc3); // The first byte of "é".
        check(cut, &"a".repeat(EXCERPT_BYTES - 1));
        check(b"caf\xc3\xa9".to_vec(), "café");
        check(b"bad \xff byte".to_vec(), "bad \u{fffd} byte");
        check(Vec::new(), "");
    }
}
