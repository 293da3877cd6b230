//! Reads the worker's environment into `ferry-core`'s typed [`Config`], once per isolate.
//!
//! Variables and secrets are fixed for a deployment: changing one deploys a new version
//! of the worker, whose isolates read them afresh, so a kill switch still takes effect on
//! the next request after it changes. Reading them once spares every request some forty
//! lookups across into JavaScript and the parsing after them.

use std::cell::OnceCell;
use std::rc::Rc;

use ferry_core::Config;
use worker::Env;

thread_local! {
    static LOADED: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

pub fn load(env: &Env) -> Rc<Config> {
    LOADED.with(|loaded| Rc::clone(loaded.get_or_init(|| Rc::new(read(env)))))
}

fn read(env: &Env) -> Config {
    // Plain vars and secrets are the same string binding to the worker: one lookup each.
    let config = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()));
    for warning in &config.warnings {
        worker::console_warn!("ferry: ignoring invalid configuration {warning}");
    }
    config
}
