//! The MCP lists as HTML: Settings' servers, a chat's switches, the resources, the `/`
//! prompts. Written as text, not as Leptos views: a view per element and control, each
//! with its own build and rebuild code, weighed some 30 KB gzip in the first-paint wasm;
//! text and one delegated listener per list weigh next to nothing. Controls carry what
//! their listener needs in `data-` attributes (`data-server`, `data-action`, …).

use ferry_protocol::{ChatMcp, McpAuth, McpServerView, McpStatus, McpWay};

use super::{APPROVALS, PromptChoice, approval_value, display_name, on_in_chat};

/// `text` safe in HTML text and in a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A server's state, in words, with the way its calls take while it is connected.
pub fn status_line(server: &McpServerView) -> String {
    let status = match (server.status, server.auth) {
        (McpStatus::Connected, _) => "Connected",
        (McpStatus::Unauthorized, McpAuth::Oauth) => "Sign-in needed",
        (McpStatus::Unauthorized, _) => "Token needed",
        (McpStatus::Error, _) => "Not reachable",
        (McpStatus::Off, _) => "Off",
    };
    // The way only matters while it is in use.
    let via = match (server.status, server.via) {
        (McpStatus::Connected, Some(McpWay::Direct)) => " · direct",
        (McpStatus::Connected, Some(McpWay::Relay)) => " · relay",
        _ => "",
    };
    format!("{status}{via}")
}

/// What a server's item shows, but for what its controls hold themselves (the switch, the
/// approvals, as the user set them): a change of it draws the list anew.
pub fn shape(server: &McpServerView) -> String {
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

/// Settings' servers, one `<li>` each (named by the server), `alert`: a server's id and
/// why its last action failed. Actions: `use` (checkbox), `sign-in`, `remove`, `token`
/// (password field) and `save-token`, `approval` (select, with `data-tool`).
pub fn servers_html(servers: &[McpServerView], alert: Option<&(String, String)>) -> String {
    let mut html = String::new();
    for server in servers {
        let name = escape(display_name(server));
        // The server's own name and version, beside its title.
        let detail = match server.title.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(_) => format!("{} {}", server.name, server.version),
            None => server.version.clone(),
        };
        html.push_str(&format!(
            "<li class=\"mcp-server\" aria-label=\"{name}\" data-server=\"{}\">\
             <div class=\"mcp-head\"><strong>{name}</strong> <span class=\"hint\">{}</span></div>\
             <p class=\"mcp-status\">{}</p>",
            escape(&server.id),
            escape(&detail),
            escape(&status_line(server)),
        ));
        if let Some(error) = &server.error {
            html.push_str(&format!("<p class=\"error\">{}</p>", escape(error)));
        }
        if let Some((_, message)) = alert.filter(|(id, _)| *id == server.id) {
            html.push_str(&format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                escape(message)
            ));
        }
        html.push_str(&format!(
            "<div class=\"row\"><label class=\"check\"><input type=\"checkbox\" data-action=\"use\"{}> Use {name}</label>",
            if server.enabled { " checked" } else { "" },
        ));
        if server.auth == McpAuth::Oauth && server.status == McpStatus::Unauthorized {
            html.push_str(&format!(
                "<button type=\"button\" class=\"primary\" data-action=\"sign-in\">Sign in to {name}</button>"
            ));
        }
        html.push_str(&format!(
            "<button type=\"button\" class=\"quiet\" data-action=\"remove\" aria-label=\"Remove {name}\">Remove</button></div>"
        ));
        // A bearer server's token; one without auth that answered 401 may take one too.
        if server.auth == McpAuth::Bearer
            || (server.auth == McpAuth::None && server.status == McpStatus::Unauthorized)
        {
            html.push_str(&format!(
                "<div class=\"row\"><label class=\"token\">Token for {name}<input type=\"password\" \
                 autocomplete=\"off\" data-action=\"token\" placeholder=\"Paste a new token\"></label>\
                 <button type=\"button\" data-action=\"save-token\" aria-label=\"Save token for {name}\">Save token</button></div>"
            ));
        }
        html.push_str(&format!(
            "<ul class=\"mcp-tools\" aria-label=\"Tools of {name}\">"
        ));
        for tool in &server.tools {
            let hint = match (tool.read_only, tool.destructive) {
                (true, _) => "read-only",
                (false, true) => "may change or delete",
                (false, false) => "may change",
            };
            let tool_name = escape(&tool.name);
            html.push_str(&format!(
                "<li class=\"mcp-tool\"><span class=\"name\" title=\"{}\">{tool_name}</span>\
                 <span class=\"hint\">{hint}</span>\
                 <select aria-label=\"Approval for {tool_name}\" data-action=\"approval\" data-tool=\"{tool_name}\">",
                escape(tool.description.as_deref().unwrap_or_default()),
            ));
            for (approval, words) in APPROVALS {
                html.push_str(&format!(
                    "<option value=\"{}\"{}>{words}</option>",
                    approval_value(approval),
                    if approval == tool.approval {
                        " selected"
                    } else {
                        ""
                    },
                ));
            }
            html.push_str("</select></li>");
        }
        html.push_str("</ul></li>");
    }
    html
}

/// A chat's switches: a checkbox per server, `<name> in this chat`, with `data-server`.
pub fn switches_html(servers: &[McpServerView], chat: &ChatMcp) -> String {
    let mut html = String::new();
    for server in servers {
        html.push_str(&format!(
            "<label class=\"check\"><input type=\"checkbox\" data-server=\"{}\"{}> {} in this chat</label>",
            escape(&server.id),
            if on_in_chat(server, chat) { " checked" } else { "" },
            escape(display_name(server)),
        ));
    }
    html
}

/// The resources to attach: a button each (named by the resource), with `data-server` and
/// `data-uri`.
pub fn resources_html(resources: &[(String, ferry_protocol::McpResourceView)]) -> String {
    let mut html = String::new();
    for (server, resource) in resources {
        let label = resource.title.as_deref().unwrap_or(&resource.name);
        let hint = resource.description.as_deref().unwrap_or(&resource.uri);
        html.push_str(&format!(
            "<li><button type=\"button\" class=\"quiet\" data-server=\"{}\" data-uri=\"{}\" title=\"{}\">{}</button></li>",
            escape(server),
            escape(&resource.uri),
            escape(hint),
            escape(label),
        ));
    }
    html
}

/// The `/` menu's options (`mcp-prompt-<i>`, named by the command, described by the
/// prompt's description), `active` highlighted; `data-index` says which.
pub fn prompts_html(choices: &[PromptChoice], active: usize) -> String {
    let mut html = String::new();
    for (i, choice) in choices.iter().enumerate() {
        let description = escape(
            choice
                .prompt
                .description
                .as_deref()
                .or(choice.prompt.title.as_deref())
                .unwrap_or_default(),
        );
        let command = escape(&choice.command);
        html.push_str(&format!(
            "<li role=\"option\" id=\"mcp-prompt-{i}\" data-index=\"{i}\" aria-label=\"{command}\" \
             aria-description=\"{description}\" aria-selected=\"{}\">\
             <span class=\"command\">{command}</span> <span class=\"hint\">{description}</span></li>",
            i == active,
        ));
    }
    html
}

/// The text boxes of a prompt's arguments, each named by the argument (`data-argument`).
pub fn arguments_html(choice: &PromptChoice) -> String {
    let mut html = format!("<span class=\"command\">{}</span>", escape(&choice.command));
    for argument in &choice.prompt.arguments {
        let name = escape(&argument.name);
        html.push_str(&format!(
            "<label>{name}<input type=\"text\" data-argument=\"{name}\" placeholder=\"{}\"{}></label>",
            escape(argument.description.as_deref().unwrap_or_default()),
            if argument.required { " required" } else { "" },
        ));
    }
    html
}
