use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::store::conformance::message;

/// `(id, parent, seq)` records of session `s`.
fn records(spec: &[(&str, Option<&str>, u64)]) -> Vec<StoredMessage> {
    spec.iter()
        .map(|&(id, parent, seq)| {
            let mut m = message(id, "s", seq, id);
            m.parent = parent.map(str::to_owned);
            m
        })
        .collect()
}

fn ids(messages: &[&StoredMessage]) -> Vec<String> {
    messages.iter().map(|m| m.id.clone()).collect()
}

/// q1 → a1 → q2 → a2, q2 edited as q2b (answered a2b), a2b regenerated as a2c, and the
/// first question edited as q1b. Stored out of order on purpose.
fn branched() -> Vec<StoredMessage> {
    records(&[
        ("a2c", Some("q2b"), 7),
        ("q1", None, 0),
        ("a1", Some("q1"), 1),
        ("q2", Some("a1"), 2),
        ("a2", Some("q2"), 3),
        ("q2b", Some("a1"), 4),
        ("a2b", Some("q2b"), 5),
        ("q1b", None, 6),
    ])
}

#[wasm_bindgen_test(unsupported = test)]
fn a_path_runs_from_the_root_to_the_head() {
    let messages = branched();
    let tree = Tree::new(&messages);
    assert_eq!(ids(&tree.path_to("a2")), ["q1", "a1", "q2", "a2"]);
    assert_eq!(ids(&tree.path_to("a2c")), ["q1", "a1", "q2b", "a2c"]);
    assert_eq!(ids(&tree.path_to("q1b")), ["q1b"]);
    assert!(tree.path_to("nowhere").is_empty());
    assert_eq!(ids(&tree.path(Some("a2b"))), ["q1", "a1", "q2b", "a2b"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn siblings_are_the_versions_of_a_message_oldest_first() {
    let messages = branched();
    let tree = Tree::new(&messages);
    assert_eq!(ids(&tree.siblings("q2b")), ["q2", "q2b"]);
    assert_eq!(ids(&tree.siblings("a2b")), ["a2b", "a2c"]);
    assert_eq!(ids(&tree.siblings("q1")), ["q1", "q1b"]);
    assert_eq!(ids(&tree.siblings("a1")), ["a1"]);
    assert_eq!(ids(&tree.children(Some("a1"))), ["q2", "q2b"]);
    assert_eq!(ids(&tree.children(None)), ["q1", "q1b"]);
    assert!(tree.siblings("nowhere").is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn switching_to_a_version_lands_on_its_newest_leaf() {
    let messages = branched();
    let tree = Tree::new(&messages);
    let leaf = |id| tree.leaf_under(id).map(|m| m.id.clone());
    assert_eq!(leaf("q2b").as_deref(), Some("a2c"));
    assert_eq!(leaf("q2").as_deref(), Some("a2"));
    // The newest leaf of the whole first tree.
    assert_eq!(leaf("q1").as_deref(), Some("a2c"));
    assert_eq!(leaf("q1b").as_deref(), Some("q1b"));
    assert_eq!(leaf("nowhere"), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn the_head_is_the_chosen_one_else_the_newest_message() {
    let messages = branched();
    let tree = Tree::new(&messages);
    assert_eq!(tree.head(Some("a2")).map(|m| m.id.as_str()), Some("a2"));
    // Gone or never chosen: the newest message's branch.
    assert_eq!(tree.head(Some("gone")).map(|m| m.id.as_str()), Some("a2c"));
    assert_eq!(tree.head(None).map(|m| m.id.as_str()), Some("a2c"));
    assert!(Tree::new(&[]).head(None).is_none());
}

#[wasm_bindgen_test(unsupported = test)]
fn records_without_parents_become_one_branch() {
    let mut messages = records(&[("c", None, 2), ("a", None, 0), ("b", None, 1)]);
    assert!(is_linear(&messages));
    assert_eq!(linearize(&mut messages).as_deref(), Some("c"));
    let tree = Tree::new(&messages);
    assert_eq!(ids(&tree.path_to("c")), ["a", "b", "c"]);
    assert!(!is_linear(&messages));
    assert_eq!(next_seq(&messages), 3);
    assert_eq!(next_seq(&[]), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_cycle_or_a_missing_parent_never_loops() {
    let messages = records(&[
        ("a", Some("b"), 0),
        ("b", Some("a"), 1),
        ("c", Some("gone"), 2),
    ]);
    let tree = Tree::new(&messages);
    // Each message once, the walk ending where it came round.
    assert_eq!(ids(&tree.path_to("a")), ["b", "a"]);
    assert_eq!(ids(&tree.path(Some("b"))), ["a", "b"]);
    // A parent that is not stored: a root.
    assert_eq!(ids(&tree.path_to("c")), ["c"]);
    assert!(tree.leaf_under("a").is_some());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_document_to_import_must_hold_trees_ferry_could_have_written() {
    let chat = |head: &str| {
        let mut session = crate::store::conformance::session("s");
        session.head = Some(head.to_owned());
        vec![session]
    };
    assert_eq!(check_trees(&chat("a2c"), &branched()), Ok(()));
    let refused = |sessions: &[Session], messages: &[StoredMessage]| {
        check_trees(sessions, messages).expect_err("refused")
    };
    let circle = records(&[("q", None, 0), ("a", Some("b"), 1), ("b", Some("a"), 2)]);
    assert!(refused(&chat("q"), &circle).contains("go round in a circle"));
    let own_parent = records(&[("a", Some("a"), 0)]);
    assert!(refused(&chat("a"), &own_parent).contains("go round in a circle"));
    let dangling = records(&[("q", None, 0), ("a", Some("gone"), 1)]);
    assert_eq!(
        refused(&chat("a"), &dangling),
        r#"message "a" follows "gone", which is not in its chat"#
    );
    let mut elsewhere = records(&[("q", None, 0), ("a", Some("q"), 1)]);
    elsewhere[0].session = "t".into();
    assert!(refused(&chat("a"), &elsewhere).contains("not in its chat"));
    assert_eq!(
        refused(&chat("gone"), &branched()),
        r#"chat "s" shows message "gone", which is not one of its messages"#
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_summary_belongs_to_the_paths_that_hold_what_it_kept() {
    let messages = branched();
    let tree = Tree::new(&messages);
    let summary = |first_kept: &str| Compaction {
        summary: format!("before {first_kept}"),
        first_kept: first_kept.into(),
        summarized_tokens: 1,
    };
    // Made on the first branch, keeping q2 on: q2b's branch started before it.
    let on_q2 = summary("q2");
    let on_a1 = summary("a1");
    let all = || vec![on_a1.clone(), on_q2.clone()];
    let path = |head| ids(&tree.path_to(head));
    let of = |head, compactions| {
        let path = path(head);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        compaction_of(&path, compactions)
    };
    assert_eq!(of("a2", all()), Some(on_q2.clone()));
    assert_eq!(of("a2c", all()), Some(on_a1.clone()));
    assert_eq!(of("q1b", all()), None);
    assert_eq!(of("a2", vec![]), None);
}
