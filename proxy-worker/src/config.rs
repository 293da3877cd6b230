//! Reads the worker's environment into `ferry-core`'s typed [`Config`], once per request,
//! so a changed kill switch takes effect on the next request.

use ferry_core::Config;
use worker::Env;

pub fn load(env: &Env) -> Config {
    let config = Config::from_lookup(|name| {
        // Plain vars and secrets are both strings to the worker.
        env.var(name)
            .or_else(|_| env.secret(name))
            .ok()
            .map(|v| v.to_string())
    });
    for warning in &config.warnings {
        worker::console_warn!("ferry: ignoring invalid configuration {warning}");
    }
    config
}
