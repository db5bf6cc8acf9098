//! Which proxy a request goes through, as curl and most tools decide it: `HTTPS_PROXY` for
//! `https` addresses, `HTTP_PROXY` for `http` ones, `ALL_PROXY` for either, each also in lower
//! case (lower case first), and `NO_PROXY` naming the hosts reached directly: a list of host
//! names, domain suffixes (`example.org` also covers `api.example.org`; a leading dot is
//! allowed), IP addresses, or `*` for every host.

use url::Url;

/// The proxy address for `url`, when one applies. `var` reads an environment variable.
pub fn proxy_for(url: &Url, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let read = |name: &str| {
        var(&name.to_lowercase())
            .or_else(|| var(name))
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    if let Some(no_proxy) = read("NO_PROXY")
        && bypasses(&no_proxy, host)
    {
        return None;
    }
    let scheme_proxy = match url.scheme() {
        "https" => read("HTTPS_PROXY"),
        "http" => read("HTTP_PROXY"),
        _ => None,
    };
    scheme_proxy.or_else(|| read("ALL_PROXY"))
}

/// Whether `NO_PROXY`'s list names `host`.
fn bypasses(no_proxy: &str, host: &str) -> bool {
    let host = host.to_lowercase();
    no_proxy
        .split([',', ' '])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            // A port is allowed after a name ("example.org:8080"), not inside an IPv6 address.
            let name = match entry.rsplit_once(':') {
                Some((name, port))
                    if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) =>
                {
                    name
                }
                _ => entry,
            };
            let name = name
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_lowercase();
            host == name || host.ends_with(&format!(".{name}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn proxy(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        proxy_for(&Url::parse(url).unwrap(), &|name| vars.get(name).cloned())
    }

    #[test]
    fn the_scheme_picks_the_variable_and_all_proxy_is_the_fallback() {
        let vars = [
            ("HTTPS_PROXY", "http://secure:3128"),
            ("http_proxy", "http://plain:3128"),
        ];
        assert_eq!(
            proxy("https://comicvine.gamespot.com/api/", &vars).as_deref(),
            Some("http://secure:3128")
        );
        assert_eq!(
            proxy("http://127.0.0.1:9/api/", &vars).as_deref(),
            Some("http://plain:3128")
        );
        assert_eq!(
            proxy("https://a.example/", &[("ALL_PROXY", "socks5://s:1080")]).as_deref(),
            Some("socks5://s:1080")
        );
        assert_eq!(proxy("https://a.example/", &[]), None);
        // Lower case wins, as in curl.
        assert_eq!(
            proxy(
                "https://a.example/",
                &[
                    ("https_proxy", "http://low:1"),
                    ("HTTPS_PROXY", "http://up:1")
                ]
            )
            .as_deref(),
            Some("http://low:1")
        );
    }

    #[test]
    fn no_proxy_names_hosts_domains_addresses_or_everything() {
        let with = |no_proxy: &str, url: &str| {
            proxy(
                url,
                &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no_proxy)],
            )
        };
        assert_eq!(with("example.org", "https://api.example.org/"), None);
        assert_eq!(with(".example.org", "https://example.org/"), None);
        assert_eq!(
            with("localhost, 127.0.0.1", "https://127.0.0.1:8443/"),
            None
        );
        assert_eq!(with("example.org:443", "https://example.org/"), None);
        assert_eq!(with("*", "https://anything.example/"), None);
        assert_eq!(with("[::1]", "https://[::1]:8443/"), None);
        assert!(with("example.org", "https://notexample.org/").is_some());
        assert!(with("other.example", "https://example.org/").is_some());
    }
}
