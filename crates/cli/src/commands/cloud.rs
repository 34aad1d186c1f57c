//! `carbonsync connect aws|azure|gcp`: a cloud account's form, filled from flags, the
//! terminal (secrets without echo) or standard input, then checked by the provider before
//! anything is kept.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use carbonsync_core::{App, AppError, CredentialField, Sensitive};

use crate::output::print_json;

/// Flags of the form as typed after the platform: `--flag value` or `--flag=value`, by field.
fn parse_flags(
    fields: &[CredentialField],
    args: &[String],
    json: &mut bool,
    sandbox: &mut bool,
) -> Result<BTreeMap<&'static str, String>, AppError> {
    let mut values = BTreeMap::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        match flag {
            "--json" => *json = true,
            "--sandbox" => *sandbox = true,
            _ => {
                let Some(field) = fields.iter().find(|f| !f.flag.is_empty() && f.flag == flag)
                else {
                    let known: Vec<&str> = fields
                        .iter()
                        .filter(|f| !f.flag.is_empty())
                        .map(|f| f.flag)
                        .collect();
                    return Err(AppError::new(
                        "usage",
                        format!(
                            "{flag:?} is not a field of this form; its flags are {} (secrets are asked for, never given as arguments)",
                            known.join(", ")
                        ),
                    ));
                };
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        args.get(i).cloned().ok_or_else(|| {
                            AppError::new("usage", format!("{flag} needs a value"))
                        })?
                    }
                };
                values.insert(field.name, value);
            }
        }
        i += 1;
    }
    Ok(values)
}

/// A secret field's value: from the file its flag named, typed at the terminal without echo,
/// or the next line of standard input. `None` for an optional one left empty.
fn read_secret(
    field: &CredentialField,
    from_file: Option<&str>,
    stdin_lines: &mut Option<std::io::Lines<std::io::StdinLock<'static>>>,
) -> Result<Option<Sensitive<String>>, AppError> {
    if let Some(path) = from_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::new(
                "secret_unreadable",
                format!("{} could not be read from {path}: {e}", field.label),
            )
        })?;
        return Ok(Some(Sensitive::new(text)));
    }
    let value = if std::io::stdin().is_terminal() {
        let prompt = if field.optional {
            format!("{} (optional; Enter to leave it out): ", field.label)
        } else {
            format!("{}: ", field.label)
        };
        rpassword::prompt_password(prompt).map_err(|e| {
            AppError::new(
                "secret_unreadable",
                format!("{} could not be read from the terminal: {e}", field.label),
            )
        })?
    } else {
        let lines = stdin_lines.get_or_insert_with(|| std::io::stdin().lock().lines());
        match lines.next() {
            Some(Ok(line)) => line,
            Some(Err(e)) => {
                return Err(AppError::new(
                    "secret_unreadable",
                    format!("{} could not be read from standard input: {e}", field.label),
                ))
            }
            None => String::new(),
        }
    };
    let value = value.trim_end_matches(['\r', '\n']).to_owned();
    if value.trim().is_empty() {
        if field.optional {
            return Ok(None);
        }
        return Err(AppError::new(
            "secret_empty",
            format!(
                "{} is needed: type it when asked, or pipe it in on its own line of standard input",
                field.label
            ),
        ));
    }
    Ok(Some(Sensitive::new(value)))
}

pub(super) async fn connect(
    app: &App,
    provider: &str,
    mut sandbox: bool,
    args: Vec<String>,
    mut json: bool,
) -> Result<ExitCode, AppError> {
    let fields = app.cloud_fields(provider)?;
    let mut given = parse_flags(fields, &args, &mut json, &mut sandbox)?;
    let mut values: BTreeMap<String, Sensitive<String>> = BTreeMap::new();
    // The sandbox's own account needs nothing typed (`--sandbox` and no field given); a
    // named profile needs no keys. A secret whose file was named is read from it either way.
    let sandbox_account = sandbox && given.is_empty();
    let ask = !sandbox_account && !given.contains_key("profile");
    let by_profile = given.contains_key("profile");
    let mut stdin_lines = None;
    for field in fields.iter().filter(|f| f.secret) {
        let file = given.remove(field.name);
        // A secret that is a file (a key, a certificate) is read from the file its flag names,
        // never typed: a terminal line cannot hold it.
        if file.is_none() && (!ask || !field.flag.is_empty()) {
            continue;
        }
        if let Some(secret) = read_secret(field, file.as_deref(), &mut stdin_lines)? {
            values.insert(field.name.to_owned(), secret);
        }
    }
    for (name, value) in given {
        values.insert(name.to_owned(), Sensitive::new(value));
    }
    let conn = app.connect_cloud(provider, values, sandbox).await?;
    if json {
        print_json(&conn);
    } else {
        let kept = if by_profile {
            "It reads its keys from the named profile on this computer; the keychain keeps the profile's name."
        } else {
            "Its keys are in the keychain."
        };
        say!(
            "Connected {} ({}) as connection {}{}. {kept} Sync it with `carbonsync sync {}`.",
            conn.tenant_name,
            conn.provider,
            conn.id,
            if conn.sandbox { ", sandbox" } else { "" },
            conn.id
        );
    }
    Ok(ExitCode::SUCCESS)
}
