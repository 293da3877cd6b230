//! MCP servers in Settings: the list (name, version, status, the way calls take), each
//! server's switch, removal, sign-in or token, and its tools' approval settings; the form
//! that adds one by URL. The composer's parts (a chat's switches, `/` prompts, resources)
//! are in `mcp/composer`, the OAuth sign-in's popup and callback in `mcp/oauth`.
//!
//! The lists are HTML written by `model` (see its `markup` for why), each with one
//! delegated listener that reads the control's `data-` attributes.

pub mod composer;
pub mod oauth;

use ferry_protocol::Command;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::agent_module;
use crate::app::{State, focus_lost, focus_soon};
use crate::model::{approval_from, css_string, servers_html, shape};

/// The add form's URL field, where focus goes when a server's controls go away.
const URL_FIELD: &str = "#mcp-url";

/// The element an event came from, and a `data-` attribute of it or of the nearest
/// element around it that has one.
pub(crate) struct Target(pub(crate) web_sys::Element);

impl Target {
    pub(crate) fn of(ev: &web_sys::Event) -> Option<Self> {
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(Self)
    }

    /// `data-<name>` here or around.
    pub(crate) fn data(&self, name: &str) -> Option<String> {
        let attribute = format!("data-{name}");
        self.0
            .closest(&format!("[{attribute}]"))
            .ok()
            .flatten()
            .and_then(|e| e.get_attribute(&attribute))
    }

    /// The control's `value` (a text box's, a select's).
    pub(crate) fn value(&self) -> String {
        js_sys::Reflect::get(&self.0, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }

    /// A checkbox's state.
    pub(crate) fn checked(&self) -> bool {
        js_sys::Reflect::get(&self.0, &"checked".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

/// The control a list's redraw may take from under focus, found again in the new list: a
/// change (a server switched off, a chat's switch) is answered by the agent with the list
/// drawn anew, and focus must not fall to the page.
#[derive(Clone, Copy)]
pub(crate) struct Refocus(StoredValue<Option<String>>);

impl Refocus {
    pub(crate) fn new() -> Self {
        Self(StoredValue::new(None))
    }

    /// The control the user just used, by a selector that finds it in a redrawn list.
    pub(crate) fn remember(self, selector: String) {
        self.0.set_value(Some(selector));
    }

    /// The list was drawn anew: focus, if it fell, goes back to the control used last.
    pub(crate) fn redrawn(self) {
        let Some(selector) = self.0.get_value() else {
            return;
        };
        set_timeout(
            move || {
                if focus_lost() {
                    focus_soon(selector);
                }
            },
            std::time::Duration::from_millis(16),
        );
    }
}

/// A selector for the control `target` (by its server, action and tool) in a redrawn list.
fn selector_of(target: &Target) -> Option<String> {
    let server = target.data("server")?;
    let action = target.data("action")?;
    let tool = target
        .data("tool")
        .map(|t| format!("[data-tool={}]", css_string(&t)))
        .unwrap_or_default();
    Some(format!(
        "[data-server={}] [data-action={}]{tool}",
        css_string(&server),
        css_string(&action)
    ))
}

/// A control of the list changed: a server's switch, token or tool approval.
fn changed(refocus: Refocus, ev: leptos::ev::Event) {
    let Some(target) = Target::of(&ev) else {
        return;
    };
    let Some(server) = target.data("server") else {
        return;
    };
    if let Some(selector) = selector_of(&target) {
        refocus.remember(selector);
    }
    let command = match target.data("action").as_deref() {
        Some("use") => Command::SetMcpServer {
            server,
            enabled: target.checked(),
        },
        Some("approval") => {
            let (Some(tool), Some(approval)) =
                (target.data("tool"), approval_from(&target.value()))
            else {
                return;
            };
            Command::SetMcpToolApproval {
                server,
                tool,
                approval,
            }
        }
        _ => return,
    };
    agent_module::send(&command);
}

/// Sends the token typed for `server` (Save token, or Enter in its field) and empties the
/// field.
fn save_token(server: String) {
    let field = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!(
                "[data-server={}] [data-action=token]",
                css_string(&server)
            ))
            .ok()
            .flatten()
        })
        .map(Target);
    let Some(field) = field else {
        return;
    };
    let token = field.value().trim().to_owned();
    let _ = js_sys::Reflect::set(&field.0, &"value".into(), &"".into());
    agent_module::send(&Command::SetMcpToken {
        server,
        token: Some(token).filter(|t| !t.is_empty()),
    });
}

/// Enter in a token field saves it.
fn key(ev: leptos::ev::KeyboardEvent) {
    if ev.key() != "Enter" {
        return;
    }
    if let Some(target) = Target::of(&ev)
        && target.data("action").as_deref() == Some("token")
        && let Some(server) = target.data("server")
    {
        ev.prevent_default();
        save_token(server);
    }
}

/// A button of the list: a server's `Sign in to …` (its popup opened here, in the click),
/// `Save token` or `Remove …`.
fn clicked(ev: leptos::ev::MouseEvent) {
    let Some(target) = Target::of(&ev) else {
        return;
    };
    let (Some(server), Some(action)) = (target.data("server"), target.data("action")) else {
        return;
    };
    match action.as_str() {
        "sign-in" => oauth::sign_in(&server),
        "save-token" => save_token(server),
        "remove" => {
            agent_module::send(&Command::RemoveMcpServer { server });
            focus_soon(URL_FIELD);
        }
        _ => {}
    }
}

/// Settings' "MCP servers": the servers and the form that adds one.
#[component]
pub fn McpSettings() -> impl IntoView {
    let state = expect_context::<State>();
    // Drawn anew when what the servers show changes, not for a switch or an approval the
    // user just set (its control, which has focus, shows it already).
    let shapes = Memo::new(move |_| {
        state
            .mcp_servers
            .with(|all| all.iter().map(shape).collect::<Vec<_>>())
    });
    let refocus = Refocus::new();
    let list = move || {
        shapes.track();
        let alert = state.mcp_server_alert.get();
        refocus.redrawn();
        state
            .mcp_servers
            .with_untracked(|all| servers_html(all, alert.as_ref()))
    };
    let url = state.mcp_url;
    let token = state.mcp_token;
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = url.get_untracked().trim().to_owned();
        if typed.is_empty() || state.mcp_adding.get_untracked() {
            return;
        }
        state.mcp_failed.set(None);
        state.mcp_adding.set(true);
        agent_module::send(&Command::AddMcpServer {
            url: typed,
            token: Some(token.get_untracked().trim().to_owned()).filter(|t| !t.is_empty()),
        });
    };
    view! {
        <section class="mcp" aria-labelledby="mcp-title">
            <h3 id="mcp-title">"MCP servers"</h3>
            <p class="hint">"Tool servers the agent may call (Model Context Protocol, over HTTP). Each tool asks before it runs unless you allow it."</p>
            <ul
                class="mcp-servers"
                aria-label="MCP servers"
                hidden=move || state.mcp_servers.with(Vec::is_empty)
                inner_html=list
                on:change=move |ev| changed(refocus, ev)
                on:click=clicked
                on:keydown=key
            ></ul>
            <form class="mcp-add" on:submit=add aria-busy=move || state.mcp_adding.get().then_some("true")>
                <label>
                    "MCP server URL"
                    <input id="mcp-url" type="url" required placeholder="https://example.com/mcp" bind:value=url/>
                </label>
                <label>
                    "MCP server token"
                    <input type="password" autocomplete="off" placeholder="Optional" bind:value=token/>
                </label>
                <p class="error" role="alert" hidden=move || state.mcp_failed.with(Option::is_none)>
                    {move || state.mcp_failed.get()}
                </p>
                <div class="row">
                    <button type="submit" disabled=move || state.mcp_adding.get()>"Add MCP server"</button>
                    <span class="hint" hidden=move || !state.mcp_adding.get()>"Connecting…"</span>
                </div>
            </form>
        </section>
    }
}
