//! The rules each configuration value follows. Values that can be judged on their own are
//! checked while the file is read (so the TOML reader points at their line); rules that
//! need another part of the file or the catalogue run on the whole [`Config`] afterwards.

use super::Config;
use carbonsync_providers::Catalogue;
use serde::{Deserialize, Deserializer};
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// Most records the in-process sandbox generates per organisation.
pub(super) const MAX_SANDBOX_RECORDS: i64 = 1_000_000;
/// Longest renewal margin (seconds): an hour is longer than any platform's access token
/// lives (Xero's last 30 minutes), so a larger margin only renews at every call.
pub(super) const MAX_REFRESH_MARGIN_SECS: i64 = 3600;
/// Longest single wait on a rate limit or backoff (seconds): the schedule's retries never
/// wait longer than an hour either.
pub(super) const MAX_RETRY_WAIT_SECS: i64 = 3600;
/// Most attempts per request, the first included.
pub(super) const MAX_ATTEMPTS: i64 = 20;

/// Starts the message of a rule checked while reading, so that it is joined to the key
/// as a sentence (`[sync] max_attempts 0 is out of range`) rather than after a colon as
/// the TOML reader's own messages are. Never shown: [`Config::parse`] takes it off.
pub(super) const PREDICATE: &str = "\u{1}";

/// A broken rule, worded to follow the key: "is empty: …", "0 is out of range: …".
fn rule<E: serde::de::Error>(words: impl std::fmt::Display) -> E {
    E::custom(format!("{PREDICATE}{words}"))
}

/// A value out of `range`, in words that give the allowed range.
fn in_range<E: serde::de::Error>(n: i64, range: RangeInclusive<i64>, unit: &str) -> Result<i64, E> {
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(rule(format!(
            "{n} is out of range: use {} to {}{unit}",
            range.start(),
            range.end()
        )))
    }
}

pub(super) fn refresh_margin_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = in_range(
        i64::deserialize(d)?,
        0..=MAX_REFRESH_MARGIN_SECS,
        " seconds",
    )?;
    Ok(n as u64)
}

pub(super) fn max_retry_wait_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = in_range(i64::deserialize(d)?, 1..=MAX_RETRY_WAIT_SECS, " seconds")?;
    Ok(n as u64)
}

pub(super) fn max_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = in_range(i64::deserialize(d)?, 1..=MAX_ATTEMPTS, " attempts")?;
    Ok(n as u32)
}

pub(super) fn records_per_org<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let n = in_range(i64::deserialize(d)?, 1..=MAX_SANDBOX_RECORDS, " records")?;
    Ok(Some(n as usize))
}

pub(super) fn default_frequency<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    carbonsync_sync::Frequency::parse(&s).map_err(rule)?;
    Ok(s)
}

pub(super) fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    check_http_url(&s).map_err(rule)?;
    Ok(Some(s))
}

/// An absolute http:// or https:// URL with a host and no user name or password; the
/// error follows the key ("`x` is not a URL …").
fn check_http_url(s: &str) -> Result<(), String> {
    const USE: &str = "use an http:// or https:// URL such as http://127.0.0.1:4010";
    match url::Url::parse(s.trim()) {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => Err(format!(
            "carries a user name or password, which do not belong in the configuration file; {USE} without them"
        )),
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(u) => Err(format!("`{s}` is a {}: URL; {USE}", u.scheme())),
        Err(e) => Err(format!("`{s}` is not a URL ({e}); {USE}")),
    }
}

pub(super) fn client_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(rule(
            "is empty: give the client id of the app registered with the platform, or remove the line to use the sandbox",
        ));
    }
    Ok(Some(s))
}

pub(super) fn scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let scopes = Vec::<String>::deserialize(d)?;
    if scopes.is_empty() {
        return Err(rule(
            "is empty: list the scopes to ask for, or remove the line to use the platform's usual scopes",
        ));
    }
    if let Some(bad) = scopes
        .iter()
        .find(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return Err(rule(format!(
            "holds `{bad}`, which is not a scope: give each scope as its own string, without spaces"
        )));
    }
    Ok(Some(scopes))
}

/// The loopback ports of the redirect URIs registered with the platform: each a real
/// port (1 to 65535), listed once, and at least one.
pub(super) fn redirect_ports<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<u16>>, D::Error> {
    let ports = Vec::<i64>::deserialize(d)?;
    if ports.is_empty() {
        return Err(rule("is empty: list the ports of the http://localhost:PORT/callback redirect URIs registered with the platform, or remove the line to listen on any free port"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(ports.len());
    for port in ports {
        if !(1..=65535).contains(&port) {
            return Err(rule(format!(
                "contains {port}, which is not a port: list the registered ports (1 to 65535)"
            )));
        }
        if !seen.insert(port) {
            return Err(rule(format!("lists {port} twice: list each port once")));
        }
        out.push(port as u16);
    }
    Ok(Some(out))
}

/// Records a page: what the platform's connector serves (Xero 1 to 1000); at least one for a
/// platform without a connector yet.
fn page_size(id: &str, size: u32) -> Result<(), String> {
    if let Some(registration) = carbonsync_providers::registration(id) {
        return (registration.check_page_size)(size);
    }
    if size == 0 {
        return Err("0 would never finish a sync: use 1 or more records a page".into());
    }
    Ok(())
}

/// A rule broken by the file as a whole: the key it is about (`["providers", "xeroo"]`)
/// and what is wrong, with the allowed values, worded to follow the key.
pub(super) struct Problem {
    pub path: Vec<String>,
    pub is_table: bool,
    pub message: String,
}

/// The rules that need the catalogue or the file system: each provider section names a
/// catalogued platform, a page size is one the platform serves, and the emission tables
/// named exist.
pub(super) fn whole(config: &Config) -> Result<(), Problem> {
    let catalogue = Catalogue::builtin();
    for (id, provider) in &config.providers {
        if catalogue.get(id).is_none() {
            let known: Vec<_> = catalogue.entries().iter().map(|e| e.id.as_str()).collect();
            return Err(Problem {
                path: vec!["providers".into(), id.clone()],
                is_table: true,
                message: format!(
                    "is not a platform CarbonSync knows; use one of {} (see `carbonsync providers`)",
                    known.join(", ")
                ),
            });
        }
        if let Some(size) = provider.page_size {
            page_size(id, size).map_err(|message| Problem {
                path: vec!["providers".into(), id.clone(), "page_size".into()],
                is_table: false,
                message,
            })?;
        }
    }
    let e = &config.emissions;
    if e.mapping_file.is_some() && e.mapping_files.contains_key("xero") {
        return Err(Problem {
            path: vec!["emissions".into(), "mapping_files".into(), "xero".into()],
            is_table: false,
            message: "names Xero's mapping a second time (`mapping_file` already does): keep one of the two".into(),
        });
    }
    for platform in e.mapping_files.keys() {
        if catalogue.get(platform).is_none() {
            let known: Vec<_> = catalogue.entries().iter().map(|e| e.id.as_str()).collect();
            return Err(Problem {
                path: vec!["emissions".into(), "mapping_files".into(), platform.clone()],
                is_table: false,
                message: format!(
                    "is not a platform CarbonSync knows; use one of {}",
                    known.join(", ")
                ),
            });
        }
    }
    let mut files: Vec<(Vec<String>, &PathBuf)> = [
        ("factors_file", &e.factors_file),
        ("mapping_file", &e.mapping_file),
        ("fx_rates_file", &e.fx_rates_file),
        ("price_index_file", &e.price_index_file),
    ]
    .into_iter()
    .filter_map(|(key, file)| Some((vec!["emissions".into(), key.into()], file.as_ref()?)))
    .collect();
    for (platform, file) in &e.mapping_files {
        files.push((
            vec!["emissions".into(), "mapping_files".into(), platform.clone()],
            file,
        ));
    }
    for (path, file) in files {
        if !file.is_file() {
            return Err(Problem {
                path,
                is_table: false,
                message: format!(
                    "{} is not a file: name a CSV file in the shipped format, or remove the line to use the shipped table",
                    file.display()
                ),
            });
        }
    }
    Ok(())
}
