//! Prompts and resources for the composer: a prompt's messages as text to insert, a
//! resource's first contents with its name and type; a failure shown as the server's.

use std::collections::BTreeMap;

use ferry_mcp::types::{Content, PromptMessages};

use super::names;
use crate::mcp::McpFailure;
use crate::protocol::{ErrorKind, Event};
use crate::runtime::{Clock, ClockTimer, Runtime};
use crate::seams::{Tokenizer, Vault};
use crate::store::{McpServer, Store};
use crate::transport::Transport;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    pub(super) async fn get_mcp_prompt(
        &self,
        server: &str,
        prompt: &str,
        arguments: &BTreeMap<String, String>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut record = self.mcp_record(server).await?;
        let answer = self
            .with_connection(&mut record, async |rt, connection, endpoint| {
                connection
                    .get_prompt(
                        &rt.transport,
                        &ClockTimer(&rt.clock),
                        endpoint,
                        prompt,
                        arguments,
                    )
                    .await
            })
            .await;
        match answer {
            Ok(messages) => emit(Event::McpPrompt {
                server: server.to_owned(),
                prompt: prompt.to_owned(),
                text: prompt_text(&messages),
            }),
            Err(failure) => emit(failed_event(&record, &failure)),
        }
        Ok(())
    }

    pub(super) async fn read_mcp_resource(
        &self,
        server: &str,
        uri: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut record = self.mcp_record(server).await?;
        let answer = self
            .with_connection(&mut record, async |rt, connection, endpoint| {
                connection
                    .read_resource(&rt.transport, &ClockTimer(&rt.clock), endpoint, uri)
                    .await
            })
            .await;
        let contents = match answer {
            Ok(contents) => contents,
            Err(failure) => {
                emit(failed_event(&record, &failure));
                return Ok(());
            }
        };
        let listed = record.resources.iter().find(|r| r.uri == uri);
        let Some(first) = contents.into_iter().next() else {
            emit(failed_event(
                &record,
                &McpFailure::Protocol(format!("the resource {uri} is empty")),
            ));
            return Ok(());
        };
        let name = listed
            .map(|r| r.name.clone())
            .unwrap_or_else(|| names::last_segment(uri));
        let mime_type = first
            .mime_type
            .or_else(|| listed.and_then(|r| r.mime_type.clone()))
            .unwrap_or_else(|| {
                if first.text.is_some() {
                    "text/plain".into()
                } else {
                    "application/octet-stream".into()
                }
            });
        emit(Event::McpResource {
            server: server.to_owned(),
            uri: uri.to_owned(),
            name,
            mime_type,
            text: first.text,
            blob: first.blob,
        });
        Ok(())
    }
}

fn failed_event(record: &McpServer, failure: &McpFailure) -> Event {
    Event::McpServerFailed {
        server: Some(record.id.clone()),
        url: record.url.clone(),
        message: failure.to_string(),
        unauthorized: matches!(failure, McpFailure::Unauthorized { .. }),
    }
}

/// A prompt's messages as the composer's text: each message's text, what is not text as a
/// note, blank lines between.
fn prompt_text(prompt: &PromptMessages) -> String {
    prompt
        .messages
        .iter()
        .map(|message| match &message.content {
            Content::Image { mime_type, .. } => format!("[image ({mime_type}) not inserted]"),
            part => ferry_mcp::content::part_text(part).unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
