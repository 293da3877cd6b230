//! Ferry's edge proxy: a stateless Cloudflare Worker that forwards a user's model call to
//! the provider with the user's own key and streams the answer back as it arrives.
//!
//! This crate is glue: it reads the request and the environment, asks `ferry-core` what to
//! do, and does the I/O. The routes are matched here; each lives in `routes/`.
//!
//! The same Worker serves the app as static assets (wrangler.toml's `[assets]`): the routes
//! here run first, any other path is a file of the app if there is one, else a 404 from here.

mod alert;
mod body;
mod config;
mod deadline;
mod handoff;
mod identity;
mod incoming;
mod limits;
mod log;
mod outbound;
mod passage;
mod respond;
mod routes;
mod supabase;
mod upstream;
mod usage;

use std::rc::Rc;

use ferry_core::ProxyError;
use worker::{Context, Env, Method, Response, event, web_sys};

pub use crate::limits::object::LimitsObject;
use crate::respond::Exchange;
use crate::routes::Scope;

/// The proxy's version, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One route of the contract; `/v1/…` aliases map to the same route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    /// The app's configuration: the app is served from this Worker's static assets.
    AppConfig,
    ChatCompletions,
    Embeddings,
    Models,
    Fetch,
    Search,
    /// The MCP relay: POST, GET and DELETE.
    Mcp,
}

impl Route {
    fn from_path(path: &str) -> Option<Self> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let rest = path
            .strip_prefix("/v1/proxy/")
            .or_else(|| path.strip_prefix("/v1/"));
        match (path, rest) {
            ("/health", _) => Some(Self::Health),
            ("/ferry-config.json", _) => Some(Self::AppConfig),
            (_, Some("chat/completions")) => Some(Self::ChatCompletions),
            (_, Some("embeddings")) => Some(Self::Embeddings),
            (_, Some("models")) => Some(Self::Models),
            ("/v1/proxy/fetch", _) => Some(Self::Fetch),
            ("/v1/proxy/search", _) => Some(Self::Search),
            ("/v1/proxy/mcp", _) => Some(Self::Mcp),
            _ => None,
        }
    }

    fn allows(self, method: &Method) -> bool {
        match self {
            Self::Health | Self::AppConfig | Self::Models => *method == Method::Get,
            Self::ChatCompletions | Self::Embeddings | Self::Fetch | Self::Search => {
                *method == Method::Post
            }
            Self::Mcp => matches!(method, Method::Post | Method::Get | Method::Delete),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::AppConfig => "app_config",
            Self::ChatCompletions => "chat",
            Self::Embeddings => "embeddings",
            Self::Models => "models",
            Self::Fetch => "fetch",
            Self::Search => "search",
            Self::Mcp => "mcp",
        }
    }
}

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let req = incoming::Request::from(req);
    let config = config::load(&env);
    let exchange = Exchange::begin(&req, &config);
    let path = req.path();
    let method = req.method();
    if method == Method::Options {
        return exchange.finish(routes::preflight::handle(&req, &config));
    }
    let outcome = match Route::from_path(&path) {
        None => Err(ProxyError::NotFound { path: path.clone() }),
        Some(route) if !route.allows(&method) => Err(ProxyError::MethodNotAllowed {
            method: method.to_string(),
        }),
        Some(route) => {
            let ctx = Rc::new(ctx);
            let scope = Scope {
                config: &config,
                env: &env,
                ctx: &ctx,
                exchange: &exchange,
            };
            let handled = match route {
                Route::Health => routes::health::handle(&config),
                Route::AppConfig => routes::app_config::handle(&config),
                Route::ChatCompletions => routes::chat::handle(req, &scope).await,
                Route::Embeddings => routes::embeddings::handle(req, &scope).await,
                Route::Models => routes::models::handle(req, &scope).await,
                Route::Fetch => routes::fetch::handle(req, &scope).await,
                Route::Search => routes::search::handle(req, &scope).await,
                Route::Mcp => routes::mcp::handle(req, &scope).await,
            };
            // Health checks are polled by monitors, the app's config read on every page
            // load: logging each would drown the log.
            if !matches!(route, Route::Health | Route::AppConfig) {
                log::record(&exchange, route.name(), &handled);
            }
            // A stream that started writes its own row when it ends. A request refused
            // before any call upstream writes none: its log line counts it.
            let streaming = handled.is_ok() && exchange.noted().streaming;
            if matches!(route, Route::ChatCompletions | Route::Embeddings)
                && !streaming
                && exchange.noted().upstream
                && let Some(draft) = exchange.usage_draft()
            {
                let usage = exchange.noted().usage;
                let record = draft.finish(usage, handled.as_ref().err());
                usage::send_later(&ctx, &env, record);
            }
            handled
        }
    };
    exchange.finish(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_aliases() {
        let cases = [
            ("/health", Some(Route::Health)),
            ("/ferry-config.json", Some(Route::AppConfig)),
            ("/v1/ferry-config.json", None),
            ("/v1/proxy/chat/completions", Some(Route::ChatCompletions)),
            ("/v1/chat/completions", Some(Route::ChatCompletions)),
            ("/v1/chat/completions/", Some(Route::ChatCompletions)),
            ("/v1/proxy/embeddings", Some(Route::Embeddings)),
            ("/v1/embeddings", Some(Route::Embeddings)),
            ("/v1/proxy/models", Some(Route::Models)),
            ("/v1/models", Some(Route::Models)),
            ("/v1/proxy/fetch", Some(Route::Fetch)),
            ("/v1/proxy/search", Some(Route::Search)),
            ("/v1/proxy/mcp", Some(Route::Mcp)),
            ("/v1/proxy/mcp/", Some(Route::Mcp)),
            ("/v1/fetch", None),
            ("/v2/chat/completions", None),
            ("/", None),
        ];
        for (path, route) in cases {
            assert_eq!(Route::from_path(path), route, "{path}");
        }
    }
}
