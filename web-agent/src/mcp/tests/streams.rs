//! Streams: a cut answer resumed, server requests and notifications on the way, the
//! standalone GET stream, DELETE.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_cut_answer_stream_is_resumed_after_its_last_event() {
    let server = Server::default();
    let mut connection = opened(&server);
    let cut = sse(&[
        json!({"method": "notifications/progress", "params": {"progress": 1, "total": 2, "progressToken": "ferry-5"}, "jsonrpc": "2.0"}),
    ]);
    server.reply(200, &SSE, vec![cut], false);
    server.reply(200, &SSE, vec![
        "event: message\nid: ev-2\ndata: {\"result\":{\"content\":[]},\"jsonrpc\":\"2.0\",\"id\":5}\n\n".into(),
    ], true);
    let clock = Clock::running();
    let mut progress = Vec::new();
    let result = call(
        &mut connection,
        &server,
        &clock,
        &StopFlag::default(),
        &mut progress,
    )
    .unwrap();
    assert!(result.content.is_empty());
    assert_eq!(progress.len(), 1);
    let sent = server.sent();
    assert_eq!(sent[1].method, HttpMethod::Get);
    assert_eq!(header(&sent[1], "last-event-id"), Some("ev-1"));
    assert_eq!(header(&sent[1], "accept"), Some("text/event-stream"));
    assert_eq!(header(&sent[1], "mcp-session-id"), Some("s-1"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_stream_cut_again_and_again_is_given_up() {
    let server = Server::default();
    let mut connection = opened(&server);
    for _ in 0..=ferry_mcp::policy::MAX_RESUMES {
        server.reply(200, &SSE, vec!["id: ev-1\ndata: \n\n".into()], false);
    }
    let outcome = call(
        &mut connection,
        &server,
        &Clock::running(),
        &StopFlag::default(),
        &mut Vec::new(),
    );
    assert!(
        matches!(outcome, Err(McpFailure::Network(_))),
        "{outcome:?}"
    );
    assert_eq!(
        server.sent().len(),
        1 + ferry_mcp::policy::MAX_RESUMES as usize
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn server_requests_are_answered_and_list_changes_kept() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.stream(&[
        json!({"jsonrpc": "2.0", "id": 0, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "roots/list"}),
        json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}),
        json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}}),
        json!({"result": {"content": [{"type": "text", "text": "Echo: a"}]}, "jsonrpc": "2.0", "id": 5}),
    ]);
    server.accepted();
    server.accepted();
    let outcome = call_simply(&mut connection, &server, "echo", json!({"message": "a"}));
    assert!(outcome.is_ok());
    let bodies = server.bodies();
    assert_eq!(bodies[1], json!({"jsonrpc": "2.0", "id": 0, "result": {}}));
    assert_eq!(bodies[2]["error"]["code"], -32601);
    assert_eq!(bodies[2]["id"], 1);
    assert_eq!(connection.take_notifications(), [Notice::ToolsChanged]);
    assert!(connection.take_notifications().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn the_get_stream_brings_notifications_and_reconnects_after_its_last_event() {
    let server = Server::default();
    let connection = opened(&server);
    let handle = connection.listen_handle().unwrap();
    server.reply(200, &SSE, vec![
        "id: g-0\nretry: 2000\ndata: \n\n".into(),
        "event: message\nid: g-1\ndata: {\"method\":\"notifications/tools/list_changed\",\"jsonrpc\":\"2.0\"}\n\n".into(),
    ], false);
    server.reply(405, &[], Vec::new(), false);
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let held = Rc::clone(&inbox);
    let clock = Clock::running();
    run(listen(&server, &clock, &direct(), handle, &inbox));
    assert_eq!(*held.borrow(), [Notice::ToolsChanged]);
    let sent = server.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method, HttpMethod::Get);
    assert_eq!(header(&sent[0], "last-event-id"), None);
    assert_eq!(header(&sent[1], "last-event-id"), Some("g-1"));
    assert_eq!(clock.now_ms(), 3_000, "the server's retry");
}

#[wasm_bindgen_test(unsupported = test)]
fn the_get_stream_gives_up_after_failures_in_a_row() {
    let server = Server::default();
    let connection = opened(&server);
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let _held = Rc::clone(&inbox);
    run(listen(
        &server,
        &Clock::running(),
        &direct(),
        connection.listen_handle().unwrap(),
        &inbox,
    ));
    assert_eq!(
        server.sent().len(),
        1 + ferry_mcp::policy::RECONNECT_MAX_FAILURES as usize
    );
    // Nobody left to read the inbox: no stream at all.
    let server = Server::default();
    let connection = opened(&server);
    run(listen(
        &server,
        &Clock::running(),
        &direct(),
        connection.listen_handle().unwrap(),
        &Rc::new(RefCell::new(Vec::new())),
    ));
    assert!(server.sent().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn close_ends_the_session() {
    let server = Server::default();
    let connection = opened(&server);
    server.reply(200, &[], Vec::new(), false);
    run(connection.close(&server, &direct()));
    let sent = server.sent();
    assert_eq!(sent[0].method, HttpMethod::Delete);
    assert_eq!(header(&sent[0], "mcp-session-id"), Some("s-1"));
}

/// A clock that lets go of `held` at its first sleep: the inbox's reader leaves while the
/// stream is quiet.
struct LeavingClock {
    now: Cell<u64>,
    held: RefCell<Option<Rc<RefCell<Vec<Notice>>>>>,
}

impl Timer for LeavingClock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    async fn sleep(&self, ms: u64) {
        self.held.borrow_mut().take();
        self.now.set(self.now.get() + ms);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_quiet_get_stream_is_dropped_once_its_reader_has_left() {
    let server = Server::default();
    let connection = opened(&server);
    server.reply(200, &SSE, vec!["id: g-0\ndata: \n\n".into()], true);
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let clock = LeavingClock {
        now: Cell::new(0),
        held: RefCell::new(Some(Rc::clone(&inbox))),
    };
    run(listen(
        &server,
        &clock,
        &direct(),
        connection.listen_handle().unwrap(),
        &inbox,
    ));
    assert_eq!(server.sent().len(), 1);
    assert_eq!(clock.now_ms(), 1_000);
}
