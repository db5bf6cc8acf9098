//! The ComicVine web API client: one paced, retrying HTTP client for the catalog.
//!
//! Every request, JSON or image, goes through one gate that keeps at least
//! [`ComicVineOptions::min_interval`] between the end of one request and the start of the next,
//! because ComicVine limits requests per hour and watches their velocity. HTTP 420, 429 and 5xx, and the API's own status 107, are
//! retried with exponential back-off (or the server's `Retry-After`). The API key travels only
//! to the API base, never to image hosts, and never appears in an error, a log line or `Debug`.

use std::io::Read;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use super::CatalogError;
use crate::config;
use crate::jobs::CancelToken;

/// The public API.
pub const DEFAULT_BASE_URL: &str = "https://comicvine.gamespot.com/api/";

/// Overrides the API base (a mirror, or a local server in tests).
pub const URL_VARIABLE: &str = "VISTAZO_COMICVINE_URL";

/// Overrides the minimum interval between requests, in milliseconds (for local servers).
pub const INTERVAL_VARIABLE: &str = "VISTAZO_COMICVINE_INTERVAL_MS";

/// Results per page of a list; the most ComicVine gives.
pub const PAGE_SIZE: u32 = 100;

/// Largest answer read, JSON or picture: a cover is a few megabytes at most.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The longest a `Retry-After` is honoured before giving up and telling the user to come back.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Fields asked for, so that answers stay small.
const SEARCH_FIELDS: &str = "id,name,start_year,publisher,count_of_issues";
const VOLUME_FIELDS: &str = "id,name,deck,description,start_year,publisher,count_of_issues,image,site_detail_url,api_detail_url";
const ISSUE_FIELDS: &str =
    "id,name,issue_number,cover_date,image,associated_images,api_detail_url,site_detail_url";

/// ComicVine's status codes inside the JSON envelope.
const STATUS_OK: i64 = 1;
const STATUS_INVALID_KEY: i64 = 100;
const STATUS_NOT_FOUND: i64 = 101;
const STATUS_RATE_LIMITED: i64 = 107;

/// A ComicVine API key. Its `Debug` hides it, so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key, trimmed; `None` when it is empty.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_owned();
        (!key.is_empty()).then_some(Self(key))
    }

    /// The key itself, to send or to store.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(hidden)")
    }
}

/// How the client talks to ComicVine.
#[derive(Debug, Clone, PartialEq)]
pub struct ComicVineOptions {
    /// The API base, ending in `/`.
    pub base_url: String,
    /// The least time between two requests.
    pub min_interval: Duration,
    /// The wait before the first retry; it doubles with each further one.
    pub first_backoff: Duration,
    /// Tries per request, the first included.
    pub attempts: u32,
    /// Connect and read timeout of one request.
    pub timeout: Duration,
}

impl Default for ComicVineOptions {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            min_interval: Duration::from_secs(1),
            first_backoff: Duration::from_secs(2),
            attempts: 5,
            timeout: Duration::from_secs(60),
        }
    }
}

impl ComicVineOptions {
    /// The defaults, with the base URL from `VISTAZO_COMICVINE_URL` and the interval from
    /// `VISTAZO_COMICVINE_INTERVAL_MS` when they are set. The first back-off is twice the
    /// interval, so a faster pace also retries sooner.
    pub fn from_env() -> Self {
        let mut options = Self::default();
        if let Some(url) = std::env::var(URL_VARIABLE)
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            options.base_url = url.trim().to_owned();
        }
        if let Some(ms) = std::env::var(INTERVAL_VARIABLE)
            .ok()
            .and_then(|ms| ms.trim().parse::<u64>().ok())
        {
            options.min_interval = Duration::from_millis(ms);
            options.first_backoff = Duration::from_millis(ms.saturating_mul(2));
        }
        options
    }
}

/// A volume in search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeSummary {
    pub id: i32,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "year")]
    pub start_year: Option<i32>,
    #[serde(default)]
    pub publisher: Option<PublisherRef>,
    #[serde(default, deserialize_with = "count")]
    pub count_of_issues: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublisherRef {
    pub id: i32,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
}

/// A volume (series) with what Babelcomics4 stores of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Volume {
    pub id: i32,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default, deserialize_with = "text")]
    pub deck: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    #[serde(default, deserialize_with = "year")]
    pub start_year: Option<i32>,
    #[serde(default)]
    pub publisher: Option<PublisherRef>,
    #[serde(default, deserialize_with = "count")]
    pub count_of_issues: i32,
    #[serde(default)]
    pub image: Option<Image>,
    #[serde(default, deserialize_with = "text")]
    pub site_detail_url: String,
}

/// The sizes of one picture; Babelcomics4 downloads `medium_url` for the main cover.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Image {
    #[serde(default)]
    pub medium_url: Option<String>,
    #[serde(default)]
    pub original_url: Option<String>,
}

/// A further cover of an issue (a variant); Babelcomics4 downloads `original_url`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssociatedImage {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub original_url: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
}

/// An issue of a volume.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Issue {
    pub id: i32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub issue_number: Option<String>,
    #[serde(default)]
    pub cover_date: Option<String>,
    #[serde(default)]
    pub image: Option<Image>,
    /// `None` when the answer did not include the field at all (lists may leave it out), as
    /// opposed to an issue without variants.
    #[serde(default)]
    pub associated_images: Option<Vec<AssociatedImage>>,
    #[serde(default, deserialize_with = "text")]
    pub api_detail_url: String,
    #[serde(default, deserialize_with = "text")]
    pub site_detail_url: String,
}

impl Issue {
    /// The cover URLs Babelcomics4 keeps: the main cover's `medium_url`, then each variant's
    /// `original_url`, without empties or repeats.
    pub fn cover_urls(&self) -> Vec<String> {
        let main = self.image.as_ref().and_then(|i| i.medium_url.clone());
        let variants = self
            .associated_images
            .iter()
            .flatten()
            .filter_map(|a| a.original_url.clone());
        let mut urls: Vec<String> = Vec::new();
        for url in main.into_iter().chain(variants) {
            let url = url.trim().to_owned();
            if !url.is_empty() && !urls.contains(&url) {
                urls.push(url);
            }
        }
        urls
    }

    /// The year of the cover date (`2012-03-01` → 2012), 0 when unknown, as `fecha_tapa`.
    pub fn cover_year(&self) -> i32 {
        self.cover_date
            .as_deref()
            .and_then(|date| date.get(..4))
            .and_then(|year| year.parse().ok())
            .unwrap_or(0)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub results: Vec<T>,
    pub offset: u32,
    /// Results in the whole list.
    pub total: u32,
}

/// ComicVine's answer around every result.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    offset: u32,
    #[serde(default)]
    number_of_total_results: u32,
    results: T,
}

/// The envelope's status alone, readable whatever `results` holds.
#[derive(Debug, Deserialize)]
struct Status {
    status_code: i64,
    #[serde(default)]
    error: String,
}

/// The client. Requests from one client, from any thread, share one pace.
pub struct ComicVine {
    agent: ureq::Agent,
    base: Url,
    key: ApiKey,
    options: ComicVineOptions,
    cancel: CancelToken,
    last_request: Mutex<Option<Instant>>,
}

/// What one attempt came to.
enum Attempt<T> {
    Done(Result<T, CatalogError>),
    /// Worth trying again: the server is busy or limiting us.
    Retry {
        rate_limited: bool,
        status: u16,
        after: Option<Duration>,
    },
}

impl ComicVine {
    /// A client for the API at `options.base_url`. Fails only when that is not a URL.
    pub fn new(key: ApiKey, options: ComicVineOptions) -> Result<Self, CatalogError> {
        let mut base_url = options.base_url.clone();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        let base = Url::parse(&base_url).map_err(|error| CatalogError::Network {
            url: base_url.clone(),
            detail: error.to_string(),
        })?;
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(options.timeout)
            .timeout_read(options.timeout)
            .user_agent(&user_agent());
        // The proxy the environment names for ComicVine's address, if any (NO_PROXY honoured).
        if let Some(address) = super::proxy::proxy_for(&base, &|name| std::env::var(name).ok()) {
            let proxy = ureq::Proxy::new(&address).map_err(|error| CatalogError::Network {
                url: address.clone(),
                detail: error.to_string(),
            })?;
            agent = agent.proxy(proxy);
        }
        let agent = agent.build();
        Ok(Self {
            agent,
            base,
            key,
            options,
            cancel: CancelToken::new(),
            last_request: Mutex::new(None),
        })
    }

    /// Makes waits (pace and back-off) end early with [`CatalogError::Cancelled`] once
    /// `cancel` is set.
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    pub fn options(&self) -> &ComicVineOptions {
        &self.options
    }

    /// Volumes whose name matches `query`, one page (1-based) of results.
    pub fn search_volumes(
        &self,
        query: &str,
        page: u32,
    ) -> Result<Page<VolumeSummary>, CatalogError> {
        let page = page.max(1).to_string();
        self.list(
            "search/",
            &[
                ("resources", "volume"),
                ("query", query),
                ("page", &page),
                ("field_list", SEARCH_FIELDS),
            ],
        )
    }

    /// One volume.
    pub fn volume(&self, id: i32) -> Result<Volume, CatalogError> {
        let path = format!("volume/4050-{id}/");
        match self.get::<Volume>(&path, &[("field_list", VOLUME_FIELDS)]) {
            Err(CatalogError::NotFound { .. }) => Err(CatalogError::VolumeNotFound { id }),
            other => other.map(|envelope| envelope.results),
        }
    }

    /// The issues of a volume from `offset` on, [`PAGE_SIZE`] at a time, oldest id first so
    /// that pages do not shift while new issues are added.
    pub fn volume_issues(&self, id: i32, offset: u32) -> Result<Page<Issue>, CatalogError> {
        let filter = format!("volume:{id}");
        let offset = offset.to_string();
        let limit = PAGE_SIZE.to_string();
        self.list(
            "issues/",
            &[
                ("filter", &filter),
                ("offset", &offset),
                ("limit", &limit),
                ("sort", "id:asc"),
                ("field_list", ISSUE_FIELDS),
            ],
        )
    }

    /// One issue, with its variant covers.
    pub fn issue(&self, id: i32) -> Result<Issue, CatalogError> {
        let path = format!("issue/4000-{id}/");
        Ok(self
            .get::<Issue>(&path, &[("field_list", ISSUE_FIELDS)])?
            .results)
    }

    /// The bytes at `url` (a cover picture). The API key is not sent: pictures are public.
    pub fn download(&self, url: &str) -> Result<Vec<u8>, CatalogError> {
        self.fetch(url, url, |status, _body| match status {
            200..=299 => Ok(()),
            _ => Err(CatalogError::Http {
                url: url.to_owned(),
                status,
            }),
        })
    }

    fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Page<T>, CatalogError> {
        let envelope = self.get::<Vec<T>>(path, params)?;
        Ok(Page {
            results: envelope.results,
            offset: envelope.offset,
            total: envelope.number_of_total_results,
        })
    }

    /// A JSON request to the API, with the key and `format=json`.
    fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Envelope<T>, CatalogError> {
        let mut shown = self
            .base
            .join(path)
            .map_err(|error| CatalogError::BadResponse {
                url: format!("{}{path}", self.base),
                detail: error.to_string(),
            })?;
        {
            let mut query = shown.query_pairs_mut();
            query.append_pair("format", "json");
            for (name, value) in params {
                query.append_pair(name, value);
            }
        }
        let mut sent = shown.clone();
        sent.query_pairs_mut()
            .append_pair("api_key", self.key.expose());
        let shown = shown.to_string();
        let body = self.fetch(sent.as_str(), &shown, |status, body| {
            // Errors come as an envelope whatever the HTTP status, so its code decides first.
            match serde_json::from_slice::<Status>(body) {
                Ok(s) if s.status_code == STATUS_OK && (200..300).contains(&status) => Ok(()),
                Ok(s) if s.status_code == STATUS_INVALID_KEY => Err(CatalogError::InvalidKey),
                Ok(s) if s.status_code == STATUS_NOT_FOUND => {
                    Err(CatalogError::NotFound { url: shown.clone() })
                }
                Ok(s) if s.status_code != STATUS_OK && (200..300).contains(&status) => {
                    Err(CatalogError::Api {
                        url: shown.clone(),
                        status_code: s.status_code,
                        message: s.error,
                    })
                }
                _ if (200..300).contains(&status) => Ok(()),
                _ => Err(CatalogError::Http {
                    url: shown.clone(),
                    status,
                }),
            }
        })?;
        serde_json::from_slice(&body).map_err(|error| CatalogError::BadResponse {
            url: shown,
            detail: error.to_string(),
        })
    }

    /// Sends GET requests to `url` until one is final: paced, retried on 420, 429, 5xx and
    /// API status 107. `judge` decides whether a final answer is a success. `shown` is the URL
    /// for errors (without the key).
    fn fetch(
        &self,
        url: &str,
        shown: &str,
        judge: impl Fn(u16, &[u8]) -> Result<(), CatalogError>,
    ) -> Result<Vec<u8>, CatalogError> {
        let attempts = self.options.attempts.max(1);
        let mut backoff = self.options.first_backoff;
        for attempt in 1..=attempts {
            let outcome = self.attempt(url, shown, &judge);
            let (rate_limited, status, after) = match outcome {
                Attempt::Done(result) => return result,
                Attempt::Retry {
                    rate_limited,
                    status,
                    after,
                } => (rate_limited, status, after),
            };
            if attempt == attempts {
                return Err(if rate_limited {
                    CatalogError::RateLimited {
                        url: shown.to_owned(),
                        attempts,
                    }
                } else {
                    CatalogError::Http {
                        url: shown.to_owned(),
                        status,
                    }
                });
            }
            let wait = match after {
                Some(after) if after > MAX_RETRY_AFTER => {
                    return Err(CatalogError::RateLimited {
                        url: shown.to_owned(),
                        attempts: attempt,
                    });
                }
                Some(after) => after.max(backoff),
                None => backoff,
            };
            tracing::info!("ComicVine answered {status} for {shown}; retrying in {wait:?}");
            self.sleep(wait)?;
            backoff = backoff.saturating_mul(2);
        }
        Err(CatalogError::RateLimited {
            url: shown.to_owned(),
            attempts,
        })
    }

    fn attempt(
        &self,
        url: &str,
        shown: &str,
        judge: &impl Fn(u16, &[u8]) -> Result<(), CatalogError>,
    ) -> Attempt<Vec<u8>> {
        // The slot is held until the answer is read, so the interval runs from the end of
        // one exchange to the start of the next, as the server sees them.
        let mut last = match self.pace() {
            Ok(last) => last,
            Err(error) => return Attempt::Done(Err(error)),
        };
        let exchange = self.exchange(url, shown);
        *last = Some(Instant::now());
        drop(last);
        let (status, after, body) = match exchange {
            Ok(answer) => answer,
            Err(error) => return Attempt::Done(Err(error)),
        };
        let limited_by_api = serde_json::from_slice::<Status>(&body)
            .is_ok_and(|s| s.status_code == STATUS_RATE_LIMITED);
        if status == 420 || status == 429 || limited_by_api {
            return Attempt::Retry {
                rate_limited: true,
                status,
                after,
            };
        }
        if status >= 500 {
            return Attempt::Retry {
                rate_limited: false,
                status,
                after,
            };
        }
        Attempt::Done(judge(status, &body).map(|()| body))
    }

    /// Sends one request and reads the whole answer, whatever its status.
    fn exchange(
        &self,
        url: &str,
        shown: &str,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), CatalogError> {
        let response = match self.agent.get(url).call() {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(transport)) => {
                let detail = match transport.message() {
                    Some(message) => format!("{}: {message}", transport.kind()),
                    None => transport.kind().to_string(),
                };
                return Err(CatalogError::Network {
                    url: shown.to_owned(),
                    detail: self.scrub(&detail),
                });
            }
        };
        let status = response.status();
        let after = response
            .header("Retry-After")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut body = Vec::new();
        response
            .into_reader()
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut body)
            .map_err(|error| CatalogError::Network {
                url: shown.to_owned(),
                detail: self.scrub(&error.to_string()),
            })?;
        Ok((status, after, body))
    }

    /// Waits until the least interval since the last exchange has passed and holds the slot.
    fn pace(&self) -> Result<MutexGuard<'_, Option<Instant>>, CatalogError> {
        let last = self
            .last_request
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(previous) = *last {
            let ready = previous + self.options.min_interval;
            let now = Instant::now();
            if ready > now {
                self.sleep(ready - now)?;
            }
        }
        Ok(last)
    }

    /// Sleeps in short steps so that a cancel is seen within a tenth of a second.
    fn sleep(&self, duration: Duration) -> Result<(), CatalogError> {
        let end = Instant::now() + duration;
        loop {
            if self.cancel.is_cancelled() {
                return Err(CatalogError::Cancelled);
            }
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            std::thread::sleep((end - now).min(Duration::from_millis(100)));
        }
    }

    /// Removes the key from text that came from the network stack, in case it quotes the URL.
    fn scrub(&self, text: &str) -> String {
        text.replace(self.key.expose(), "***")
    }
}

/// `Vistazo/VERSION (+REPOSITORY)`: ComicVine refuses generic agents.
pub fn user_agent() -> String {
    format!(
        "Vistazo/{} (+{})",
        config::VERSION,
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// A string that may be null.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// A count that may be null.
fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
    Ok(Option::<i32>::deserialize(deserializer)?.unwrap_or_default())
}

/// ComicVine gives the start year as a string ("2012"), sometimes odd ("20??") or null.
fn year<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Year {
        Number(i64),
        Text(String),
    }
    Ok(match Option::<Year>::deserialize(deserializer)? {
        Some(Year::Number(n)) => i32::try_from(n).ok(),
        Some(Year::Text(s)) => s.trim().parse().ok(),
        None => None,
    }
    .filter(|year| *year > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_show_in_debug() {
        let key = ApiKey::new(" abc123 ").expect("not empty");
        assert_eq!(key.expose(), "abc123");
        assert!(!format!("{key:?}").contains("abc123"));
        assert_eq!(ApiKey::new("  "), None);
    }

    #[test]
    fn issues_list_the_main_cover_then_variants_once() {
        let issue: Issue = serde_json::from_value(serde_json::json!({
            "id": 7, "name": null, "issue_number": "1", "cover_date": "2012-03-01",
            "image": {"medium_url": "https://x/m/a.jpg", "original_url": "https://x/o/a.jpg"},
            "associated_images": [
                {"id": 1, "original_url": "https://x/o/b.jpg", "caption": null},
                {"id": 2, "original_url": "https://x/m/a.jpg"},
                {"id": 3, "original_url": ""}
            ],
            "api_detail_url": null
        }))
        .expect("parses");
        assert_eq!(
            issue.cover_urls(),
            ["https://x/m/a.jpg", "https://x/o/b.jpg"]
        );
        assert_eq!(issue.cover_year(), 2012);
        assert_eq!(issue.api_detail_url, "");
    }

    #[test]
    fn start_years_are_read_leniently() {
        let parse = |value: serde_json::Value| {
            serde_json::from_value::<VolumeSummary>(serde_json::json!({
                "id": 1, "name": "X", "start_year": value, "count_of_issues": null
            }))
            .expect("parses")
            .start_year
        };
        assert_eq!(parse(serde_json::json!("2012")), Some(2012));
        assert_eq!(parse(serde_json::json!(1999)), Some(1999));
        assert_eq!(parse(serde_json::json!("20??")), None);
        assert_eq!(parse(serde_json::Value::Null), None);
    }

    #[test]
    fn the_user_agent_names_the_app_and_where_to_find_it() {
        let agent = user_agent();
        assert!(agent.starts_with("Vistazo/"), "{agent}");
        assert!(agent.contains("(+https://"), "{agent}");
    }
}
