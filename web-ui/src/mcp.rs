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

/// One tool and its approval setting.
fn tool_row(server: String, tool: McpToolView) -> impl IntoView {
    let state = expect_context::<State>();
    let name = tool.name.clone();
    let label = format!("Approval for {}", tool.name);
    let hint = match (tool.read_only, tool.destructive) {
        (true, _) => "read-only",
        (false, true) => "may change or delete",
        (false, false) => "may change",
    };
    let current = tool.approval;
    // Read from the list, so that a change (the user's, the agent's answer) does not redraw
    // the select, which has focus.
    let value = {
        let (server, name) = (server.clone(), name.clone());
        move || {
            state.mcp_servers.with(|all| {
                all.iter()
                    .filter(|s| s.id == server)
                    .flat_map(|s| &s.tools)
                    .find(|t| t.name == name)
                    .map_or(current, |t| t.approval)
            })
        }
    };
    view! {
        <li class="mcp-tool">
            <span class="name" title=tool.description.clone().unwrap_or_default()>{tool.name.clone()}</span>
            <span class="hint">{hint}</span>
            <select
                aria-label=label
                prop:value=move || approval_value(value())
                on:change=move |ev| {
                    let Some(approval) = approval_from(&event_target_value(&ev)) else { return };
                    state.mcp_servers.update(|all| {
                        if let Some(t) = all
                            .iter_mut()
                            .filter(|s| s.id == server)
                            .flat_map(|s| s.tools.iter_mut())
                            .find(|t| t.name == name)
                        {
                            t.approval = approval;
                        }
                    });
                    agent_module::send(&Command::SetMcpToolApproval {
                        server: server.clone(),
                        tool: name.clone(),
                        approval,
                    });
                }
            >
                {APPROVALS.map(|(approval, words)| view! {
                    <option value=approval_value(approval) selected=approval == current>{words}</option>
                }).collect_view()}
            </select>
        </li>
    }
}

/// A server's bearer token: replaced (or set) by what is typed, on Save token.
fn token_field(id: String, name: String) -> impl IntoView {
    let token = RwSignal::new(String::new());
    let save = move || {
        let typed = token.get_untracked().trim().to_owned();
        agent_module::send(&Command::SetMcpToken {
            server: id.clone(),
            token: Some(typed).filter(|t| !t.is_empty()),
        });
        token.set(String::new());
    };
    view! {
        <div class="row">
            <label class="token">
                {format!("Token for {name}")}
                <input type="password" autocomplete="off" placeholder="Paste a new token" bind:value=token/>
            </label>
            <button type="button" aria-label=format!("Save token for {name}") on:click=move |_| save()>
                "Save token"
            </button>
        </div>
    }
}

fn server_item(server: McpServerView) -> impl IntoView {
    let state = expect_context::<State>();
    let id = server.id.clone();
    let name = display_name(&server).to_owned();
    // The server's own name and version, beside its title.
    let detail = match server.title.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(_) => format!("{} {}", server.name, server.version),
        None => server.version.clone(),
    };
    let status = status_line(&server);
    let error = server.error.clone();
    let enabled = {
        let id = id.clone();
        move || {
            state
                .mcp_servers
                .with(|all| all.iter().any(|s| s.id == id && s.enabled))
        }
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
    let token = (server.auth == McpAuth::Bearer
        || (server.auth == McpAuth::None && server.status == McpStatus::Unauthorized))
        .then(|| token_field(id.clone(), name.clone()));
    let alert = {
        let id = id.clone();
        move || {
            state
                .mcp_server_alert
                .get()
                .filter(|(server, _)| *server == id)
                .map(|(_, message)| view! { <p class="error" role="alert">{message}</p> })
        }
    };
    let tools = server
        .tools
        .iter()
        .cloned()
        .map(|tool| tool_row(id.clone(), tool))
        .collect_view();
    let (toggle_id, remove_id) = (id.clone(), id.clone());
    view! {
        <li class="mcp-server" aria-label=name.clone()>
            <div class="mcp-head">
                <strong>{name.clone()}</strong>
                " "
                <span class="hint">{detail}</span>
            </div>
            <p class="mcp-status">{status}</p>
            {error.map(|e| view! { <p class="error">{e}</p> })}
            {alert}
            <div class="row">
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=enabled
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.mcp_servers.update(|all| {
                                if let Some(s) = all.iter_mut().find(|s| s.id == toggle_id) {
                                    s.enabled = on;
                                }
                            });
                            agent_module::send(&Command::SetMcpServer { server: toggle_id.clone(), enabled: on });
                        }
                    />
                    {format!("Use {name}")}
                </label>
                {sign_in}
                <button
                    type="button"
                    class="quiet"
                    aria-label=format!("Remove {name}")
                    on:click=move |_| {
                        state.mcp_servers.update(|all| all.retain(|s| s.id != remove_id));
                        agent_module::send(&Command::RemoveMcpServer { server: remove_id.clone() });
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

/// What a server's item shows, but for what its controls read from the list as it changes
/// (the switch, the approvals): a change of it draws the item anew.
fn shape(server: &McpServerView) -> String {
    let tools: Vec<&str> = server.tools.iter().map(|t| t.name.as_str()).collect();
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}",
        server.id,
        display_name(server),
        server.name,
        server.version,
        status_line(server),
        server.auth == McpAuth::Bearer,
        server.error.as_deref().unwrap_or_default(),
        tools.join(",")
    )
}

/// Settings' "MCP servers": the servers and the form that adds one.
#[component]
pub fn McpSettings() -> impl IntoView {
    let state = expect_context::<State>();
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
                // A server's change redraws that server only; its switch and approvals not at all.
                <For
                    each=move || state.mcp_servers.get()
                    key=shape
                    children=server_item
                />
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
