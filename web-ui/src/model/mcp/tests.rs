use ferry_protocol::{McpAuth, McpStatus, McpToolView};

use super::*;

fn prompt(name: &str) -> McpPromptView {
    McpPromptView {
        name: name.to_owned(),
        title: None,
        description: Some(format!("the {name} prompt")),
        arguments: Vec::new(),
    }
}

fn server(id: &str, prefix: &str, enabled: bool) -> McpServerView {
    McpServerView {
        id: id.to_owned(),
        url: format!("https://{id}.example/mcp"),
        name: format!("servers/{id}"),
        title: None,
        version: "1.0.0".to_owned(),
        prefix: prefix.to_owned(),
        enabled,
        auth: McpAuth::None,
        status: McpStatus::Connected,
        error: None,
        via: None,
        tools: vec![McpToolView {
            name: "echo".to_owned(),
            qualified: format!("{prefix}__echo"),
            title: None,
            description: None,
            read_only: true,
            destructive: false,
            approval: ToolApproval::Always,
        }],
        prompts: vec![prompt("simple-prompt"), prompt("args-prompt")],
        resources: vec![McpResourceView {
            uri: format!("demo://{id}/readme.md"),
            name: "Readme".to_owned(),
            title: None,
            description: None,
            mime_type: Some("text/markdown".to_owned()),
        }],
    }
}

#[test]
fn approvals_read_and_write_the_protocols_words() {
    for (approval, _) in APPROVALS {
        assert_eq!(approval_from(approval_value(approval)), Some(approval));
    }
    assert_eq!(approval_from("sometimes"), None);
    assert_eq!(
        APPROVALS.map(|(_, words)| words),
        ["Ask every time", "Allow in this chat", "Always allow"]
    );
}

#[test]
fn a_server_goes_by_its_title_else_its_name() {
    let mut everything = server("e", "everything", true);
    assert_eq!(display_name(&everything), "servers/e");
    everything.title = Some("Everything Reference Server".to_owned());
    assert_eq!(display_name(&everything), "Everything Reference Server");
    everything.title = Some("  ".to_owned());
    assert_eq!(display_name(&everything), "servers/e");
}

#[test]
fn a_chats_own_switch_wins_over_the_global_one() {
    let on = server("a", "a", true);
    let off = server("b", "b", false);
    let none = ChatMcp::new();
    assert!(on_in_chat(&on, &none));
    assert!(!on_in_chat(&off, &none));
    let chat = ChatMcp::from([("a".to_owned(), false), ("b".to_owned(), true)]);
    assert!(!on_in_chat(&on, &chat));
    assert!(on_in_chat(&off, &chat));
}

#[test]
fn the_slash_menu_opens_on_a_leading_slash_while_it_is_one_word() {
    assert_eq!(slash_query("/"), Some(""));
    assert_eq!(slash_query("/every"), Some("every"));
    assert_eq!(
        slash_query("/everything:simple-prompt"),
        Some("everything:simple-prompt")
    );
    assert_eq!(slash_query("/everything now"), None);
    assert_eq!(slash_query("a /b"), None);
    assert_eq!(slash_query(""), None);
}

#[test]
fn prompts_come_from_the_servers_on_in_the_chat_matched_by_command_or_name() {
    let servers = [server("a", "everything", true), server("b", "other", false)];
    let all = prompt_choices(&servers, &ChatMcp::new(), "");
    assert_eq!(
        all.iter().map(|c| c.command.as_str()).collect::<Vec<_>>(),
        ["/everything:simple-prompt", "/everything:args-prompt"]
    );
    assert_eq!(all[0].server, "a");
    let by_command = prompt_choices(&servers, &ChatMcp::new(), "EVERYTHING:ARGS");
    assert_eq!(by_command.len(), 1);
    assert_eq!(by_command[0].prompt.name, "args-prompt");
    let by_name = prompt_choices(&servers, &ChatMcp::new(), "simple");
    assert_eq!(by_name.len(), 1);
    assert!(prompt_choices(&servers, &ChatMcp::new(), "nothing").is_empty());
    let both = ChatMcp::from([("b".to_owned(), true)]);
    assert_eq!(prompt_choices(&servers, &both, "").len(), 4);
}

#[test]
fn resources_come_from_the_servers_on_in_the_chat() {
    let servers = [server("a", "a", true), server("b", "b", false)];
    let listed = resource_choices(&servers, &ChatMcp::new());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, "a");
    assert_eq!(listed[0].1.name, "Readme");
}

#[test]
fn a_stored_call_finds_its_server_and_tool_by_the_qualified_name() {
    let mut everything = server("a", "everything", true);
    everything.title = Some("Everything Reference Server".to_owned());
    let servers = [everything, server("b", "other", true)];
    assert_eq!(
        tool_of(&servers, "everything__echo"),
        Some(("Everything Reference Server".to_owned(), "echo".to_owned()))
    );
    assert_eq!(
        tool_of(&servers, "other__echo"),
        Some(("servers/b".to_owned(), "echo".to_owned()))
    );
    assert_eq!(tool_of(&servers, "web_fetch"), None);
}

#[test]
fn a_resource_is_named_by_its_uri_file_else_by_name_and_type() {
    assert_eq!(
        resource_file_name("Readme", "demo://a/readme.md", "text/markdown"),
        "readme.md"
    );
    assert_eq!(
        resource_file_name(
            "Resource 1",
            "demo://resource/static/document/1",
            "text/plain"
        ),
        "Resource 1.txt"
    );
    assert_eq!(
        resource_file_name("notes.txt", "demo://x/2", "text/plain"),
        "notes.txt"
    );
    assert_eq!(
        resource_file_name("Blob", "demo://x/3", "application/octet-stream"),
        "Blob"
    );
    assert_eq!(
        resource_file_name("", "demo://x/4?y=z.q", "image/png"),
        "resource.png"
    );
}

#[test]
fn markup_escapes_what_servers_say() {
    assert_eq!(
        escape(r#"<b a="1">&'x'</b>"#),
        "&lt;b a=&quot;1&quot;&gt;&amp;&#39;x&#39;&lt;/b&gt;"
    );
    let mut evil = server("e", "evil", true);
    evil.title = Some("<img src=x onerror=alert(1)>".to_owned());
    evil.tools[0].name = "\"><script>".to_owned();
    let html = servers_html(&[evil], None);
    assert!(
        !html.contains("<img") && !html.contains("<script"),
        "{html}"
    );
}

#[test]
fn settings_markup_names_each_control_and_shows_the_settings() {
    let mut everything = server("a", "everything", true);
    everything.title = Some("Everything Reference Server".to_owned());
    everything.via = Some(ferry_protocol::McpWay::Relay);
    let mut other = server("b", "other", false);
    other.auth = McpAuth::Oauth;
    other.status = McpStatus::Unauthorized;
    other.tools[0].approval = ToolApproval::Chat;
    let alert = ("b".to_owned(), "the sign-in failed".to_owned());
    let html = servers_html(&[everything, other], Some(&alert));
    for part in [
        r#"aria-label="Everything Reference Server" data-server="a""#,
        "servers/a 1.0.0",
        "Connected · relay",
        r#"data-action="use" checked> Use Everything Reference Server"#,
        r#"aria-label="Remove Everything Reference Server""#,
        r#"aria-label="Approval for echo" data-action="approval" data-tool="echo""#,
        r#"<option value="always" selected>Always allow</option>"#,
        r#"data-action="use"> Use servers/b"#,
        "Sign in to servers/b</button>",
        "Sign-in needed",
        r#"<option value="chat" selected>Allow in this chat</option>"#,
        r#"role="alert">the sign-in failed"#,
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert_eq!(html.matches("Sign in to").count(), 1);
    assert_eq!(html.matches("role=\"alert\"").count(), 1);
}

#[test]
fn a_chats_switches_resources_prompts_and_arguments_as_markup() {
    let servers = [server("a", "everything", true), server("b", "other", false)];
    let switches = switches_html(&servers, &ChatMcp::new());
    assert!(
        switches.contains(r#"data-server="a" checked> servers/a in this chat"#),
        "{switches}"
    );
    assert!(
        switches.contains(r#"data-server="b"> servers/b in this chat"#),
        "{switches}"
    );
    let resources = resources_html(&resource_choices(&servers, &ChatMcp::new()));
    assert!(
        resources.contains(r#"data-server="a" data-uri="demo://a/readme.md""#),
        "{resources}"
    );
    assert!(resources.contains(">Readme</button>"), "{resources}");
    let choices = prompt_choices(&servers, &ChatMcp::new(), "");
    let prompts = prompts_html(&choices, 1);
    assert!(
        prompts
            .contains(r#"id="mcp-prompt-0" data-index="0" aria-label="/everything:simple-prompt""#),
        "{prompts}"
    );
    assert!(
        prompts.contains(r#"aria-description="the args-prompt prompt" aria-selected="true""#),
        "{prompts}"
    );
    let mut asking = choices[1].clone();
    asking.prompt.arguments = vec![ferry_protocol::McpPromptArgument {
        name: "city".to_owned(),
        description: Some("Name of the city".to_owned()),
        required: true,
    }];
    let fields = arguments_html(&asking);
    assert!(
        fields.contains(r#"<label>city<input type="text" data-argument="city" placeholder="Name of the city" required></label>"#),
        "{fields}"
    );
}

#[test]
fn a_bearer_server_offers_its_token_field_and_save() {
    let mut bearer = server("t", "tokened", true);
    bearer.auth = McpAuth::Bearer;
    let html = servers_html(&[bearer], None);
    assert!(
        html.contains(r#"Token for servers/t<input type="password""#),
        "{html}"
    );
    assert!(
        html.contains(
            r#"data-action="save-token" aria-label="Save token for servers/t">Save token</button>"#
        ),
        "{html}"
    );
    assert!(!servers_html(&[server("n", "none", true)], None).contains("Token for"));
}
