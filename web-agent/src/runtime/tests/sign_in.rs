//! The sign-in: PKCE links and providers, switching accounts, refresh, sign-out.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_session_in_the_fragment_signs_no_one_in() {
    let transport = FakeTransport::default();
    let mut rt = supabase_runtime(&transport);
    ask_for_link(&mut rt, &transport);
    transport.sent.borrow_mut().clear();
    let events = command(
        &mut rt,
        Command::CompleteSignIn {
            query: String::new(),
            fragment: format!(
                "#access_token={}&refresh_token=r-mallory&expires_in=3600&token_type=bearer",
                token_for(MALLORY, "mallory@example.test")
            ),
        },
    );
    assert!(
        matches!(&events[..], [Event::Error { kind: ErrorKind::InvalidRequest, message, .. }] if message.contains("Nobody was signed in")),
        "{events:?}"
    );
    assert!(transport.urls().is_empty(), "nothing asked of Supabase");
    assert_eq!(rt.signed_in_user(), None);
    assert_no_sign_in_kept(&rt);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_code_this_browser_did_not_ask_for_signs_no_one_in() {
    let transport = FakeTransport::default();
    let mut rt = supabase_runtime(&transport);
    // No sign-in was started here: there is no verifier to trade the code with.
    let events = come_back_with_code(&mut rt, "someone-elses-code");
    assert!(
        matches!(
            &events[..],
            [Event::Error {
                kind: ErrorKind::InvalidRequest,
                ..
            }]
        ),
        "{events:?}"
    );
    assert!(transport.urls().is_empty());
    assert_eq!(rt.signed_in_user(), None);
    // With a sign-in started, a code made for another verifier is refused by Supabase.
    ask_for_link(&mut rt, &transport);
    transport.json(
        400,
        None,
        r#"{"code":400,"error_code":"bad_code_verifier","msg":"code challenge does not match previously saved code verifier"}"#,
    );
    let events = come_back_with_code(&mut rt, "someone-elses-code");
    assert!(
        matches!(&events[..], [Event::Error { kind: ErrorKind::InvalidRequest, message, .. }] if message.contains("code challenge does not match")),
        "{events:?}"
    );
    assert_eq!(rt.signed_in_user(), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn oauth_starts_with_the_challenge_of_the_kept_verifier() {
    let transport = FakeTransport::default();
    let mut rt = supabase_runtime(&transport);
    let events = command(
        &mut rt,
        Command::SignInWithProvider {
            provider: crate::auth::OAuthProvider::Github,
            redirect_to: "http://127.0.0.1:8080/".into(),
        },
    );
    let [Event::SignInRedirect { url }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert!(url.starts_with("https://abc.supabase.co/auth/v1/authorize?provider=github&redirect_to=http%3A%2F%2F127.0.0.1%3A8080%2F&code_challenge="), "{url}");
    assert!(url.ends_with("&code_challenge_method=s256"));
    // A second sign-in started soon after (an emailed link) uses the same verifier, so
    // either way back works.
    let challenge = ask_for_link(&mut rt, &transport);
    assert!(
        url.contains(&format!("code_challenge={challenge}&")),
        "{url}"
    );
    let stored = format!("{:?}", run(rt.store().keys()).unwrap());
    assert!(stored.contains("SupabaseSignIn"), "{stored}");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sign_in_to_another_account_waits_for_the_users_yes() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    let mine = rt.settings.clone();
    ask_for_link(&mut rt, &transport);
    transport.sent.borrow_mut().clear();
    transport.json(
        200,
        None,
        &session_answer(MALLORY, "mallory@example.test", "refresh-m", 3600),
    );
    let events = come_back_with_code(&mut rt, "code-m");
    assert_eq!(
        events,
        [Event::ConfirmAccountSwitch {
            current: "ada@example.test".into(),
            next: "mallory@example.test".into()
        }]
    );
    // Nothing of the other account is in force: same user, same settings, nothing synced.
    assert_eq!(
        transport.urls(),
        ["https://abc.supabase.co/auth/v1/token?grant_type=pkce"]
    );
    assert_eq!(rt.signed_in_user().as_deref(), Some(ADA));
    assert_eq!(rt.settings, mine);
    // Staying: the other session is dropped.
    let events = command(&mut rt, Command::SwitchAccount { confirm: false });
    assert!(
        matches!(&events[..], [Event::Ready { signed_in: Some(user), .. }] if user == ADA),
        "{events:?}"
    );
    let events = command(&mut rt, Command::SwitchAccount { confirm: true });
    assert!(matches!(
        &events[..],
        [Event::Error {
            kind: ErrorKind::InvalidRequest,
            ..
        }]
    ));
    assert_eq!(rt.signed_in_user().as_deref(), Some(ADA));
    // Asked again, and switching: the other account is signed in, its settings synced.
    transport.json(
        200,
        None,
        &session_answer(MALLORY, "mallory@example.test", "refresh-m2", 3600),
    );
    come_back_with_code(&mut rt, "code-m2");
    transport.json(200, None, "[]");
    transport.json(201, None, "");
    let events = command(&mut rt, Command::SwitchAccount { confirm: true });
    assert_eq!(
        events[1],
        Event::SignedIn {
            user: MALLORY.into()
        }
    );
    assert_eq!(rt.signed_in_user().as_deref(), Some(MALLORY));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_same_account_signing_in_again_needs_no_question() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    ask_for_link(&mut rt, &transport);
    transport.json(
        200,
        None,
        &session_answer(ADA, "ada@example.test", "refresh-9", 3600),
    );
    transport.json(200, None, "[]");
    transport.json(201, None, "");
    let events = come_back_with_code(&mut rt, "code-9");
    assert_eq!(events.last(), Some(&Event::SignedIn { user: ADA.into() }));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sign_in_is_kept_sealed_and_its_token_goes_to_the_proxy() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    let stored = format!("{:?}", run(rt.store().keys()).unwrap());
    assert!(stored.contains("Account(Supabase)"), "{stored}");
    assert!(!stored.contains("refresh-1"), "sealed: {stored}");
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let sent = transport.sent.borrow();
    assert_eq!(sent.len(), 1, "no refresh needed yet");
    assert!(bearer(&sent[0]).is_some_and(|b| b.starts_with("Bearer h.")));
    drop(sent);
    let events = command(&mut rt, Command::Load);
    assert!(matches!(
        &events[0],
        Event::Ready {
            signed_in: Some(_),
            ..
        }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_session_about_to_expire_is_refreshed_before_the_call() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 30);
    transport.json(
        200,
        None,
        r#"{"access_token":"fresh.token.x","token_type":"bearer","expires_in":3600,"refresh_token":"refresh-2","user":{"id":"u"}}"#,
    );
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let sent = transport.sent.borrow();
    assert_eq!(
        sent[0].url,
        "https://abc.supabase.co/auth/v1/token?grant_type=refresh_token"
    );
    assert_eq!(
        sent[0].body.as_deref(),
        Some(r#"{"refresh_token":"refresh-1"}"#)
    );
    assert_eq!(bearer(&sent[1]).as_deref(), Some("Bearer fresh.token.x"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_refresh_signs_out_and_says_so() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 30);
    transport.json(
        400,
        None,
        r#"{"error":"invalid_grant","error_description":"Invalid Refresh Token: Already Used"}"#,
    );
    let events = command(&mut rt, Command::Load);
    assert_eq!(events[0], Event::SignedOut);
    assert!(matches!(
        &events[1],
        Event::Error {
            kind: ErrorKind::Unauthorized,
            ..
        }
    ));
    assert_no_sign_in_kept(&rt);
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_out_ends_the_session_there_and_here() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    transport.json(204, None, "");
    let events = command(&mut rt, Command::SignOut);
    assert_eq!(events, [Event::SignedOut]);
    assert_eq!(transport.urls(), ["https://abc.supabase.co/auth/v1/logout"]);
    let events = command(&mut rt, Command::Load);
    assert!(matches!(
        &events[0],
        Event::Ready {
            signed_in: None,
            ..
        }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_magic_link_is_asked_for() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Mistral);
    rt.settings.supabase_url = Some("https://abc.supabase.co".into());
    transport.json(200, None, "{}");
    let events = command(
        &mut rt,
        Command::SignInWithEmail {
            email: "ada@example.test".into(),
            redirect_to: "http://127.0.0.1:8080/".into(),
        },
    );
    assert_eq!(
        events,
        [Event::MagicLinkSent {
            email: "ada@example.test".into()
        }]
    );
    assert!(transport.urls()[0].starts_with("https://abc.supabase.co/auth/v1/otp?redirect_to="));
}

/// Nobody's sign-in is sealed in the store.
fn assert_no_sign_in_kept(rt: &TestRuntime<'_>) {
    assert!(
        run(rt.store().keys())
            .unwrap()
            .iter()
            .all(|k| k.provider != KeyOwner::Account(crate::store::Account::Supabase))
    );
}
