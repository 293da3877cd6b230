//! One exchange between a client and the proxy: its request id, its CORS origin, what the
//! log should say about it, and the one place where results become responses.

use std::cell::{Cell, Ref, RefCell};
use std::fmt::Write as _;

use ferry_core::wire::Usage;
use ferry_core::{Config, ProviderId, ProxyError};
use sha2::{Digest, Sha256};
use worker::{Date, Response};

use crate::incoming::Request;
use crate::limits::Admission;
use crate::log::StreamTag;
use crate::usage::Draft;

/// Headers a browser page may read from a response.
const EXPOSED_HEADERS: &str = "X-Request-Id, Retry-After, X-RateLimit-Limit, \
    X-RateLimit-Remaining, X-RateLimit-Reset, X-Ferry-Dropped-Params, Mcp-Session-Id, \
    Mcp-Protocol-Version, WWW-Authenticate, X-MCP-Relayed, Server-Timing";

/// Names the request parameters the adapter left out because the model or provider
/// refuses them (`temperature` with Anthropic's thinking, …): a note, never an error.
pub const DROPPED_PARAMS: &str = "x-ferry-dropped-params";

#[derive(Debug, Default)]
pub struct Noted {
    /// The verified Supabase user, when there is one.
    pub user_id: Option<String>,
    /// The limits decision, for the `X-RateLimit-*` headers.
    pub limits: Option<Admission>,
    pub provider: Option<ProviderId>,
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub streaming: bool,
    /// A call left for the provider (or another outside service): from here on the
    /// request costs something, and a failure is no longer a refusal.
    pub upstream: bool,
    /// Request parameters the adapter left out, for [`DROPPED_PARAMS`].
    pub dropped: Vec<&'static str>,
    /// The host a relayed request went to (the MCP relay): its one logged fact about it.
    pub host: Option<String>,
}

#[derive(Debug)]
pub struct Exchange {
    pub request_id: String,
    started_ms: u64,
    /// When the first call to the provider (or another outside service) left.
    upstream_since_ms: Cell<Option<u64>>,
    /// The limits' round trip, and whether it ran beside the upstream call.
    limits_time: Cell<Option<LimitsTime>>,
    /// `Access-Control-Allow-Origin` for this request, if its origin is allowed.
    cors_origin: Option<String>,
    noted: RefCell<Noted>,
}

impl Exchange {
    pub fn begin(req: &Request, config: &Config) -> Self {
        let header = |name: &str| req.headers().get(name).ok().flatten();
        Self {
            // Always the proxy's own: it keys the usage row, which a client must not choose.
            request_id: new_request_id(),
            started_ms: now_ms(),
            upstream_since_ms: Cell::new(None),
            limits_time: Cell::new(None),
            cors_origin: header("origin").and_then(|o| config.allowed_origins.allow(&o)),
            noted: RefCell::default(),
        }
    }

    pub fn elapsed_ms(&self) -> u64 {
        now_ms().saturating_sub(self.started_ms)
    }

    pub fn note_target(&self, provider: ProviderId, model: &str) {
        let mut noted = self.noted.borrow_mut();
        noted.provider = Some(provider);
        noted.model = Some(model.to_owned());
    }

    pub fn note_usage(&self, usage: Option<Usage>) {
        self.noted.borrow_mut().usage = usage;
    }

    pub fn note_user(&self, user_id: &str) {
        self.noted.borrow_mut().user_id = Some(user_id.to_owned());
    }

    /// The start of the call's usage row: only for a known user and provider.
    pub fn usage_draft(&self) -> Option<Draft> {
        let noted = self.noted.borrow();
        Some(Draft {
            request_id: self.request_id.clone(),
            user_id: noted.user_id.clone()?,
            started_ms: self.started_ms,
            provider: noted.provider?,
            model: noted.model.clone().unwrap_or_default(),
        })
    }

    pub fn note_limits(&self, admission: Admission) {
        self.noted.borrow_mut().limits = Some(admission);
    }

    /// The limits took `ms` to answer, before the upstream call or beside it.
    pub fn note_limits_time(&self, ms: u64, beside_upstream: bool) {
        self.limits_time.set(Some(LimitsTime {
            ms,
            beside_upstream,
        }));
    }

    /// A call leaves for the provider (or another outside service): from here on the
    /// time is upstream's, for `Server-Timing`.
    pub fn note_upstream(&self) {
        self.noted.borrow_mut().upstream = true;
        if self.upstream_since_ms.get().is_none() {
            self.upstream_since_ms.set(Some(now_ms()));
        }
    }

    pub fn note_dropped(&self, dropped: &[&'static str]) {
        self.noted.borrow_mut().dropped = dropped.to_vec();
    }

    pub fn note_host(&self, host: &str) {
        self.noted.borrow_mut().host = Some(host.to_owned());
    }

    pub fn note_streaming(&self) {
        self.noted.borrow_mut().streaming = true;
    }

    /// The owned facts a stream needs to log its own end.
    pub fn stream_tag(&self, provider: ProviderId, model: &str) -> StreamTag {
        StreamTag {
            request_id: self.request_id.clone(),
            provider,
            model: model.to_owned(),
            started_ms: self.started_ms,
        }
    }

    pub fn noted(&self) -> Ref<'_, Noted> {
        self.noted.borrow()
    }

    /// The response the client gets: errors as contract JSON, every response with its
    /// request id and CORS headers.
    pub fn finish(&self, outcome: Result<Response, ProxyError>) -> worker::Result<Response> {
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => error_response(&error)?,
        };
        let now = now_ms();
        let upstream_ms = self
            .upstream_since_ms
            .get()
            .map(|since| now.saturating_sub(since));
        let total_ms = now.saturating_sub(self.started_ms);
        let headers = response.headers_mut();
        headers.set("x-request-id", &self.request_id)?;
        headers.set(
            "server-timing",
            &server_timing(total_ms, upstream_ms, self.limits_time.get()),
        )?;
        if let Some(dropped) = dropped_params(&self.noted.borrow().dropped) {
            headers.set(DROPPED_PARAMS, &dropped)?;
        }
        if let Some(limits) = self.noted.borrow().limits {
            headers.set("x-ratelimit-limit", &limits.limit.to_string())?;
            headers.set("x-ratelimit-remaining", &limits.remaining.to_string())?;
            headers.set("x-ratelimit-reset", &limits.reset_secs.to_string())?;
        }
        if let Some(origin) = &self.cors_origin {
            headers.set("access-control-allow-origin", origin)?;
            headers.set("access-control-expose-headers", EXPOSED_HEADERS)?;
            // The page's Resource Timing may show the `Server-Timing` entries too.
            headers.set("timing-allow-origin", origin)?;
            if origin != "*" {
                headers.append("vary", "Origin")?;
            }
        }
        Ok(response)
    }
}

/// The limits' round trip for `Server-Timing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsTime {
    pub ms: u64,
    /// It overlapped the upstream call (so it is not part of the proxy's own time).
    pub beside_upstream: bool,
}

/// `Server-Timing`: the proxy's own time (`proxy`) apart from the time spent waiting on the
/// provider or another outside service (`upstream`: from the first call out until the
/// response left, its headers for a stream), in milliseconds. The proxy's time includes
/// the identity check and, when it ran before the upstream call, the limits' round trip.
/// `limits` is that round trip on its own, described as `before upstream` or `beside
/// upstream`. A response that called nobody has no `upstream`.
pub fn server_timing(
    total_ms: u64,
    upstream_ms: Option<u64>,
    limits: Option<LimitsTime>,
) -> String {
    let mut out = match upstream_ms {
        Some(upstream) => format!(
            "proxy;dur={};desc=\"Ferry\", upstream;dur={upstream};desc=\"provider\"",
            total_ms.saturating_sub(upstream)
        ),
        None => format!("proxy;dur={total_ms};desc=\"Ferry\""),
    };
    if let Some(limits) = limits {
        let when = if limits.beside_upstream {
            "beside"
        } else {
            "before"
        };
        out.push_str(&format!(
            ", limits;dur={};desc=\"{when} upstream\"",
            limits.ms
        ));
    }
    out
}

/// A JSON response of `body` with `status`.
pub fn json(body: String, status: u16) -> Result<Response, ProxyError> {
    let mut response = Response::from_bytes(body.into_bytes())
        .map_err(|_| ProxyError::invalid("response could not be built"))?
        .with_status(status);
    response
        .headers_mut()
        .set("content-type", "application/json")
        .map_err(|_| ProxyError::invalid("response could not be built"))?;
    Ok(response)
}

fn error_response(error: &ProxyError) -> worker::Result<Response> {
    let mut response =
        Response::from_bytes(error.to_json().into_bytes())?.with_status(error.status());
    let headers = response.headers_mut();
    headers.set("content-type", "application/json")?;
    if let Some(secs) = error.retry_after_secs() {
        headers.set("retry-after", &secs.to_string())?;
    }
    Ok(response)
}

/// `X-Ferry-Dropped-Params`' value: the names once each, in the order met, comma and space
/// between; `None` when nothing was dropped.
fn dropped_params(dropped: &[&str]) -> Option<String> {
    let mut names: Vec<&str> = Vec::with_capacity(dropped.len());
    for name in dropped {
        if !names.contains(name) {
            names.push(name);
        }
    }
    (!names.is_empty()).then(|| names.join(", "))
}

pub fn now_ms() -> u64 {
    Date::now().as_millis()
}

thread_local! {
    /// Request ids made in this isolate from the fallback: part of what keeps them apart.
    static FALLBACK_COUNTER: Cell<u64> = const { Cell::new(0) };
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    let random = getrandom::getrandom(&mut bytes).ok().map(|()| bytes);
    request_id(random, || {
        let counter = FALLBACK_COUNTER.with(|c| {
            c.set(c.get().wrapping_add(1));
            c.get()
        });
        worker::console_warn!("ferry: no randomness for a request id, using the fallback");
        fallback_bytes(now_ms(), counter, worker::js_sys::Math::random())
    })
}

/// `req_` and 24 hex digits: the random bytes, unless getting them failed (`None`) or they
/// came back all zeros — then `fallback()`. Never the all-zero id, which would make every
/// such request share one usage row (the id is the row's unique key).
fn request_id(random: Option<[u8; 12]>, fallback: impl FnOnce() -> [u8; 12]) -> String {
    let mut bytes = match random {
        Some(bytes) if bytes != [0; 12] => bytes,
        _ => fallback(),
    };
    if bytes == [0; 12] {
        bytes[11] = 1;
    }
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    id
}

/// The fallback's bytes: a hash of the time, a per-isolate counter and `Math.random()`.
fn fallback_bytes(now_ms: u64, counter: u64, noise: f64) -> [u8; 12] {
    let mut hasher = Sha256::new();
    hasher.update(now_ms.to_le_bytes());
    hasher.update(counter.to_le_bytes());
    hasher.update(noise.to_bits().to_le_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 12];
    bytes.copy_from_slice(&digest[..12]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_timing_parts_the_proxys_time_from_upstreams() {
        assert_eq!(
            server_timing(12, Some(9), None),
            r#"proxy;dur=3;desc="Ferry", upstream;dur=9;desc="provider""#
        );
        assert_eq!(server_timing(2, None, None), r#"proxy;dur=2;desc="Ferry""#);
        // Clocks that disagree never make a negative time.
        assert_eq!(
            server_timing(1, Some(4), None),
            r#"proxy;dur=0;desc="Ferry", upstream;dur=4;desc="provider""#
        );
    }

    #[test]
    fn server_timing_says_where_the_limits_round_trip_went() {
        let before = LimitsTime {
            ms: 2,
            beside_upstream: false,
        };
        assert_eq!(
            server_timing(12, Some(9), Some(before)),
            r#"proxy;dur=3;desc="Ferry", upstream;dur=9;desc="provider", limits;dur=2;desc="before upstream""#
        );
        let beside = LimitsTime {
            beside_upstream: true,
            ..before
        };
        assert_eq!(
            server_timing(4, None, Some(beside)),
            r#"proxy;dur=4;desc="Ferry", limits;dur=2;desc="beside upstream""#
        );
    }

    #[test]
    fn dropped_params_are_named_once_each_in_order() {
        assert_eq!(dropped_params(&[]), None);
        assert_eq!(
            dropped_params(&["temperature", "top_p", "temperature", "tool_choice"]).as_deref(),
            Some("temperature, top_p, tool_choice")
        );
        assert!(EXPOSED_HEADERS.contains("X-Ferry-Dropped-Params"));
    }

    #[test]
    fn relayed_mcp_headers_are_exposed() {
        let exposed: Vec<String> = EXPOSED_HEADERS
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for name in ferry_core::mcp_relay::CORS_EXPOSED {
            assert!(exposed.iter().any(|h| h == name), "{name}");
        }
        assert!(DROPPED_PARAMS.eq_ignore_ascii_case("X-Ferry-Dropped-Params"));
    }

    #[test]
    fn random_bytes_make_the_id() {
        let id = request_id(Some([0xab; 12]), || [0xcd; 12]);
        assert_eq!(id, format!("req_{}", "ab".repeat(12)));
    }

    #[test]
    fn failed_or_zero_randomness_never_gives_the_zero_id() {
        let zero = format!("req_{}", "0".repeat(24));
        for random in [None, Some([0; 12])] {
            let id = request_id(random, || fallback_bytes(1_800_000_000_000, 1, 0.5));
            assert_ne!(id, zero);
            assert_eq!(id.len(), 28);
        }
        // Even a fallback that produced zeros does not.
        assert_ne!(request_id(None, || [0; 12]), zero);
    }

    #[test]
    fn fallback_ids_differ_request_to_request() {
        let now = 1_800_000_000_000;
        let ids: std::collections::HashSet<String> = (0..1_000)
            .map(|n| request_id(None, || fallback_bytes(now, n, 0.25)))
            .collect();
        assert_eq!(ids.len(), 1_000);
        assert_ne!(fallback_bytes(now, 1, 0.25), fallback_bytes(now, 1, 0.75));
    }
}
