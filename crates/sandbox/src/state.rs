//! The state file: grants and tokens (every platform's), settings, record changes, and the
//! messages Slack and Teams received (the newest 200 of each), so
//! a sandbox restarted on the same path carries on where it left off (a client's saved tokens
//! keep working, its incremental sync sees no phantom changes). Records themselves are
//! regenerated from the seed and the change logs are replayed on top, which keeps the file
//! small.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::grants::AuthSnapshot;
use crate::company::ChangeEntry;
use crate::quickbooks::realm::QbChange;
use crate::slack::SlackSaved;
use crate::teams::TeamsSaved;

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct StateFile {
    pub version: u32,
    /// The data the change log refers to; a different seed or size makes it meaningless.
    pub seed: u64,
    pub records_per_org: usize,
    pub settings: Value,
    #[serde(flatten)]
    pub auth: AuthSnapshot,
    pub changes: Vec<ChangeEntry>,
    /// Edits of the QuickBooks company. Files written before it existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quickbooks_changes: Vec<QbChange>,
    /// The Slack stand-in's messages, channel changes, disabled hooks and revoked tokens.
    /// Files written before it existed have none.
    #[serde(default, skip_serializing_if = "SlackSaved::is_empty")]
    pub slack: SlackSaved,
    /// The Teams stand-in's workflows and received cards. Files written before it existed
    /// have none.
    #[serde(default, skip_serializing_if = "TeamsSaved::is_empty")]
    pub teams: TeamsSaved,
}

impl StateFile {
    pub fn new(
        seed: u64,
        records_per_org: usize,
        settings: Value,
        auth: AuthSnapshot,
        changes: Vec<ChangeEntry>,
    ) -> Self {
        StateFile {
            version: FORMAT_VERSION,
            seed,
            records_per_org,
            settings,
            auth,
            changes,
            quickbooks_changes: Vec::new(),
            slack: SlackSaved::default(),
            teams: TeamsSaved::default(),
        }
    }
}

/// Reads the state file; a missing file is a fresh start, an unreadable one an error (better
/// to refuse than to silently drop a user's grants).
pub fn load(path: &Path) -> Result<Option<StateFile>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let file: StateFile = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if file.version != FORMAT_VERSION {
        return Err(format!(
            "state file format {} is not the supported {FORMAT_VERSION}",
            file.version
        ));
    }
    Ok(Some(file))
}

/// Writes to a temporary file beside the target and renames it into place, so a crash
/// mid-write leaves the previous state intact rather than a truncated file.
pub fn save(path: &Path, file: &StateFile) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Private from the start, like the data folder it usually sits in.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let tmp = temp_path(path);
    let body = serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?;
    {
        // It holds grants and token fingerprints: private to the user, like the data folder.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&tmp)?;
        out.write_all(&body)?;
        out.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_loads_back_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.json");
        assert!(load(&path).unwrap().is_none());
        let file = StateFile::new(
            7,
            10,
            serde_json::json!({"auto_approve": true}),
            AuthSnapshot::default(),
            vec![],
        );
        save(&path, &file).unwrap();
        let back = load(&path).unwrap().unwrap();
        assert_eq!(back.seed, 7);
        assert_eq!(back.settings["auto_approve"], true);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn a_corrupt_state_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(load(&path).is_err());
    }

    #[test]
    fn a_state_file_from_before_quickbooks_loads_and_quickbooks_edits_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(
            &path,
            r#"{"version":1,"seed":7,"records_per_org":10,"settings":{},
                "grants":[],"access_tokens":[],"refresh_tokens":[],"changes":[]}"#,
        )
        .unwrap();
        let old = load(&path).unwrap().unwrap();
        assert!(old.quickbooks_changes.is_empty());
        assert!(old.slack.is_empty() && old.teams.is_empty());

        let mut file = StateFile::new(
            7,
            10,
            serde_json::json!({}),
            AuthSnapshot::default(),
            vec![],
        );
        file.quickbooks_changes = vec![QbChange {
            entity: crate::quickbooks::realm::Entity::Bill,
            id: "9002".into(),
            op: crate::company::Op::Delete,
            updated: 1_800_000_000,
        }];
        save(&path, &file).unwrap();
        assert_eq!(
            load(&path).unwrap().unwrap().quickbooks_changes,
            file.quickbooks_changes
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"entity\": \"Bill\""), "{text}");
    }
}
