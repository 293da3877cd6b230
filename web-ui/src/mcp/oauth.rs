//! Signing in to an MCP server by OAuth: a popup opened by the click itself (a popup opened
//! later, once the agent has found the authorization server, would be blocked), sent to
//! the authorization server's page when the agent has its address; the callback page
//! (`mcp-oauth.html`, on this origin) hands the answer back by `postMessage` to this window,
//! or on the `ferry-mcp-oauth` BroadcastChannel when it has no opener; the agent completes
//! the sign-in from it.

use std::cell::RefCell;

use ferry_protocol::Command;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::agent_module;

/// The callback page's message type, and the channel's name.
const CALLBACK: &str = "ferry-mcp-oauth";

thread_local! {
    /// The popup opened by the last `Sign in to …`, until the address comes.
    static POPUP: RefCell<Option<web_sys::Window>> = const { RefCell::new(None) };
    /// The last callback's query: the same answer may come both ways.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// `Sign in to <name>`: opens the popup now, in the click, and asks the agent where to send it.
pub fn sign_in(server: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let popup = window
        .open_with_url_and_target_and_features(
            "about:blank",
            CALLBACK,
            "popup,width=520,height=700",
        )
        .ok()
        .flatten();
    POPUP.with_borrow_mut(|slot| *slot = popup);
    let origin = window.location().origin().unwrap_or_default();
    agent_module::send(&Command::AuthorizeMcpServer {
        server: server.to_owned(),
        redirect_uri: format!("{origin}/mcp-oauth.html"),
    });
}

/// The authorization server's page: in the popup opened for it, else (blocked, or closed
/// since) in a new one.
pub fn open_authorization(url: &str) {
    let popup = POPUP
        .with_borrow_mut(Option::take)
        .filter(|p| !p.closed().unwrap_or(true));
    match popup {
        Some(popup) => {
            let _ = popup.location().set_href(url);
        }
        None => {
            if let Some(window) = web_sys::window() {
                let _ = window.open_with_url_and_target(url, CALLBACK);
            }
        }
    }
}

/// The callback's `{type: "ferry-mcp-oauth", query: "?code=…&state=…"}`: the agent completes
/// the sign-in (once per answer).
fn completed(data: &JsValue) {
    let field = |name: &str| {
        js_sys::Reflect::get(data, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    if field("type").as_deref() != Some(CALLBACK) {
        return;
    }
    let Some(query) = field("query").filter(|q| !q.is_empty()) else {
        return;
    };
    let seen = LAST.with_borrow_mut(|last| last.replace(query.clone()).as_ref() == Some(&query));
    if !seen {
        agent_module::send(&Command::CompleteMcpAuthorization { query });
    }
}

/// Listens for the callback page's answer: messages from this origin only, and the channel
/// (same origin by nature).
pub fn listen() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let origin = window.location().origin().unwrap_or_default();
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.origin() == origin {
                completed(&event.data());
            }
        });
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    on_message.forget();
    if let Ok(channel) = web_sys::BroadcastChannel::new(CALLBACK) {
        let on_broadcast =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
                completed(&event.data());
            });
        channel.set_onmessage(Some(on_broadcast.as_ref().unchecked_ref()));
        on_broadcast.forget();
        // Kept open for the page's life.
        std::mem::forget(channel);
    }
}
