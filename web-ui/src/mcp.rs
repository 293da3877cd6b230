//! MCP servers in Settings: the list (name, version, status, the way calls take), each
//! server's switch, removal, sign-in or token, and its tools' approval settings; the form
//! that adds one by URL. The composer's parts (a chat's switches, `/` prompts, resources)
//! are in `mcp/composer`, the OAuth sign-in's popup and callback in `mcp/oauth`.

pub mod composer;
pub mod oauth;

use ferry_protocol::{Command, McpAuth, McpServerView, McpStatus, McpToolView, McpWay};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::{State, focus_soon};
use crate::model::{APPROVALS, approval_from, approval_value, display_name};

/// The add form's URL field, where focus goes when a server's controls go away.
const URL_FIELD: &str = "#mcp-url";

/// A server's state, in words, with the way its calls take when it is connected.
fn status_line(server: &McpServerView) -> String {
    let status = match (server.status, server.auth) {
        (McpStatus::Connected, _) => "Connected",
        (McpStatus::Unauthorized, McpAuth::Oauth) => "Sign-in needed",
        (McpStatus::Unauthorized, _) => "Token needed",
        (McpStatus::Error, _) => "Not reachable",
        (McpStatus::Off, _) => "Off",
    };
    let via = match server.via {
        Some(McpWay::Direct) => " · direct",
        Some(McpWay::Relay) => " · relay",
        None => "",
    };
    format!("{status}{via}")
}

/// One tool and its approval setting (the select keeps the user's choice itself: the list
/// is not drawn anew for it).
fn tool_row(server: &str, tool: &McpToolView) -> impl IntoView + use<> {
    let (server, name) = (server.to_owned(), tool.name.clone());
    let hint = match (tool.read_only, tool.destructive) {
        (true, _) => "read-only",
        (false, true) => "may change or delete",
        (false, false) => "may change",
    };
    let options = APPROVALS
        .map(|(approval, words)| {
            view! { <option value=approval_value(approval) selected=approval == tool.approval>{words}</option> }
        })
        .collect_view();
    view! {
        <li class="mcp-tool">
            <span class="name" title=tool.description.clone().unwrap_or_default()>{tool.name.clone()}</span>
            <span class="hint">{hint}</span>
            <select
                aria-label=format!("Approval for {}", tool.name)
                on:change=move |ev| {
                    if let Some(approval) = approval_from(&event_target_value(&ev)) {
                        agent_module::send(&Command::SetMcpToolApproval {
                            server: server.clone(),
                            tool: name.clone(),
                            approval,
                        });
                    }
                }
            >
                {options}
            </select>
        </li>
    }
}

/// Sends what the control `ev` came from says, by `command`.
fn on_change(
    server: &str,
    command: fn(String, &leptos::ev::Event) -> Command,
) -> impl Fn(leptos::ev::Event) + use<> {
    let server = server.to_owned();
    move |ev| agent_module::send(&command(server.clone(), &ev))
}

fn server_item(server: &McpServerView, alert: Option<String>) -> impl IntoView + use<> {
    let id = server.id.clone();
    let name = display_name(server).to_owned();
    // The server's own name and version, beside its title.
    let detail = match server.title.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(_) => format!("{} {}", server.name, server.version),
        None => server.version.clone(),
    };
    let sign_in =
        (server.auth == McpAuth::Oauth && server.status == McpStatus::Unauthorized).then(|| {
            let id = id.clone();
            view! {
                <button type="button" class="primary" on:click=move |_| oauth::sign_in(&id)>
                    {format!("Sign in to {name}")}
                </button>
            }
        });
    // A bearer server's token; one without auth that answered 401 may take one too.
    let token = (server.auth == McpAuth::Bearer
        || (server.auth == McpAuth::None && server.status == McpStatus::Unauthorized))
        .then(|| {
            view! {
                <label class="token">
                    {format!("Token for {name}")}
                    <input
                        type="password"
                        autocomplete="off"
                        placeholder="Paste a new token and press Enter"
                        on:change=on_change(&id, |server, ev| {
                            let token = event_target_value(ev).trim().to_owned();
                            Command::SetMcpToken { server, token: Some(token).filter(|t| !t.is_empty()) }
                        })
                    />
                </label>
            }
        });
    let tools = server
        .tools
        .iter()
        .map(|tool| tool_row(&id, tool))
        .collect_view();
    let remove = id.clone();
    view! {
        <li class="mcp-server" aria-label=name.clone()>
            <div class="mcp-head">
                <strong>{name.clone()}</strong>
                " "
                <span class="hint">{detail}</span>
            </div>
            <p class="mcp-status">{status_line(server)}</p>
            {server.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            {alert.map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <div class="row">
                <label class="check">
                    <input
                        type="checkbox"
                        checked=server.enabled
                        on:change=on_change(&id, |server, ev| Command::SetMcpServer {
                            server,
                            enabled: event_target_checked(ev),
                        })
                    />
                    {format!("Use {name}")}
                </label>
                {sign_in}
                <button
                    type="button"
                    class="quiet"
                    aria-label=format!("Remove {name}")
                    on:click=move |_| {
                        agent_module::send(&Command::RemoveMcpServer { server: remove.clone() });
                        focus_soon(URL_FIELD);
                    }
                >
                    "Remove"
                </button>
            </div>
            {token}
            <ul class="mcp-tools" aria-label=format!("Tools of {name}")>{tools}</ul>
        </li>
    }
}

/// What a server's item shows, but for what its controls hold themselves (the switch, the
/// approvals, as the user set them): a change of it draws the list anew.
fn shape(server: &McpServerView) -> String {
    let mut shape = format!(
        "{}|{}|{}|{}|{}|{}|{}|",
        server.id,
        display_name(server),
        server.name,
        server.version,
        status_line(server),
        server.auth == McpAuth::Bearer,
        server.error.as_deref().unwrap_or_default(),
    );
    for tool in &server.tools {
        shape.push_str(&tool.name);
        shape.push(',');
    }
    shape
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
    let list = move || {
        shapes.track();
        let alert = state.mcp_server_alert.get();
        state.mcp_servers.with_untracked(|all| {
            all.iter()
                .map(|server| {
                    let mine = alert
                        .clone()
                        .filter(|(id, _)| *id == server.id)
                        .map(|(_, m)| m);
                    server_item(server, mine)
                })
                .collect_view()
        })
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
            <ul class="mcp-servers" aria-label="MCP servers" hidden=move || state.mcp_servers.with(Vec::is_empty)>
                {list}
            </ul>
            <form class="mcp-add" on:submit=add aria-busy=move || state.mcp_adding.get().then_some("true")>
                <label>
                    "MCP server URL"
                    <input id="mcp-url" type="url" required placeholder="https://example.com/mcp" bind:value=url/>
                </label>
                <label>
                    "MCP server token"
                    <input type="password" autocomplete="off" placeholder="Optional" bind:value=token/>
                </label>
                {move || state.mcp_failed.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <div class="row">
                    <button type="submit" disabled=move || state.mcp_adding.get()>"Add MCP server"</button>
                    <span class="hint" hidden=move || !state.mcp_adding.get()>"Connecting…"</span>
                </div>
            </form>
        </section>
    }
}
