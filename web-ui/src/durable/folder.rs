//! The backup folder (`folder.js`): the File System Access API's handles, which web-sys
//! binds only under an unstable cfg, reached through a small JavaScript module of the app's
//! own (served from the app's origin, as the page's policy wants scripts).

use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/durable/folder.js")]
extern "C" {
    #[wasm_bindgen(js_name = canPickFolder)]
    fn can_pick_folder() -> bool;
    #[wasm_bindgen(js_name = chooseFolder)]
    fn choose_folder() -> js_sys::Promise;
    #[wasm_bindgen(js_name = folderState)]
    fn folder_state() -> js_sys::Promise;
    #[wasm_bindgen(js_name = allowFolder)]
    fn allow_folder() -> js_sys::Promise;
    #[wasm_bindgen(js_name = forgetFolder)]
    fn forget_folder() -> js_sys::Promise;
    #[wasm_bindgen(js_name = writeBackup)]
    fn write_backup(text: &str, ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = newestBackup)]
    fn newest_backup() -> js_sys::Promise;
    #[wasm_bindgen(js_name = backupName)]
    pub fn backup_name(ms: f64) -> String;
    /// How many backups the folder keeps (the newest).
    pub fn kept() -> u32;
}

/// The kept folder: its name, and whether Ferry may write there now.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Folder {
    pub name: String,
    pub permission: String,
}

impl Folder {
    pub fn writable(&self) -> bool {
        self.permission == "granted"
    }
}

/// What a failed call says, for the user.
fn reason(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the folder could not be used".to_owned())
}

async fn text_of(promise: js_sys::Promise) -> Result<String, String> {
    let value = JsFuture::from(promise).await.map_err(|e| reason(&e))?;
    Ok(value.as_string().unwrap_or_default())
}

/// Whether this browser can write backups to a folder.
pub fn available() -> bool {
    can_pick_folder()
}

/// Asks the user for a folder; its name, or why not (a cancelled picker included).
pub async fn choose() -> Result<String, String> {
    text_of(choose_folder()).await
}

/// The kept folder, if any.
pub async fn state() -> Option<Folder> {
    let json = text_of(folder_state()).await.ok()?;
    serde_json::from_str(&json).ok()
}

/// Asks for the permission to write to the kept folder again (after a reload).
pub async fn allow() -> bool {
    JsFuture::from(allow_folder())
        .await
        .ok()
        .and_then(|granted| granted.as_bool())
        .unwrap_or(false)
}

pub async fn forget() {
    let _ = JsFuture::from(forget_folder()).await;
}

/// Writes `text` as the backup of `at_ms`, keeping the newest [`kept`]; the file's name.
pub async fn write(text: &str, at_ms: u64) -> Result<String, String> {
    text_of(write_backup(text, at_ms as f64)).await
}

/// The newest backup's text, if the folder has one.
pub async fn newest() -> Result<Option<String>, String> {
    let text = text_of(newest_backup()).await?;
    Ok(Some(text).filter(|t| !t.is_empty()))
}
