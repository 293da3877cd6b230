//! Reads the worker's environment into `ferry-core`'s typed [`Config`], once per request,
//! so a changed kill switch takes effect on the next request.

use ferry_core::Config;
use worker::Env;

pub fn load(env: &Env) -> Config {
    // Plain vars and secrets are the same string binding to the worker: one lookup each.
    let config = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()));
    for warning in &config.warnings {
        worker::console_warn!("ferry: ignoring invalid configuration {warning}");
    }
    config
}
