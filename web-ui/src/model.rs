//! What the chat shows, as plain data: the agent's [`Event`]s folded into a [`Chat`], and
//! errors turned into a [`Banner`] the user can act on. No Leptos here, so all of it is
//! tested natively.

mod attachments;
mod banner;
mod chart;
mod chat;
mod durable;
mod mcp;
mod offline;
mod params;

pub use attachments::{
    ACCEPT, Attached, Chip, ChipState, Chips, Earlier, Limits, pages_label, reads_documents,
    reads_images, size_label, text_sent, via_proxy,
};
pub use banner::{Action, Banner};
pub use chart::{Bar, bars, stacked};
pub use chat::{Chat, Progress, Row, Thinking, ToolStep, Usd, ViewMessage};
pub use durable::{
    DEFAULT_REMIND_AFTER, Gone, MARKER_KEY, Marker, REMINDER_KEY, StorageState, remind_after,
};
pub use mcp::{
    APPROVALS, PromptChoice, approval_from, approval_value, arguments_html, display_name, escape,
    on_in_chat, prompt_choices, prompts_html, resource_choices, resource_file_name, resources_html,
    servers_html, shape, slash_query, status_line, switches_html, tool_of,
};
pub use offline::{BackOnline, Waiting, failed_offline};
pub use params::{
    Controls, EFFORTS, MAX_TEMPERATURE, effort_from, effort_label, max_output_from, preselect,
    temperature_from,
};

/// `secs` as "3 h 20 min", "4 min", "12 s".
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// An amount in USD as the conversation shows it: "$0.0042", "$1.25", "<$0.0001".
pub fn usd(amount: f64) -> String {
    match amount {
        a if a <= 0.0 => "$0".to_owned(),
        a if a < 0.0001 => "<$0.0001".to_owned(),
        a if a < 1.0 => format!("${a:.4}"),
        a => format!("${a:.2}"),
    }
}

/// `text` as a CSS string, for an attribute selector (`[aria-label="…"]`).
pub fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\a "),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_escape_quotes_backslashes_and_newlines() {
        assert_eq!(css_string("Rename Trip"), r#""Rename Trip""#);
        assert_eq!(css_string(r#"say "hi" \ bye"#), r#""say \"hi\" \\ bye""#);
        assert_eq!(css_string("two\nlines"), r#""two\a lines""#);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(12), "12 s");
        assert_eq!(duration(61), "2 min");
        assert_eq!(duration(3 * 3600 + 20 * 60), "3 h 20 min");
    }

    #[test]
    fn costs_read_as_dollars_small_and_large() {
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.000_01), "<$0.0001");
        assert_eq!(usd(0.004_25), "$0.0043");
        assert_eq!(usd(12.5), "$12.50");
    }
}
