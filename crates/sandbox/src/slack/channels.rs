//! The workspace's channels: a fixed directory (the same ids every run), whose archive state
//! and bot membership the control API can change. Shapes: Slack's conversation object
//! (Slack's docs: "The conversation object").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `#general`: every member is in it, the bot too.
pub const GENERAL: &str = "C0SANDBOX01";
/// `#finance`: the bot is a member.
pub const FINANCE: &str = "C0SANDBOX02";
/// `#esg-reports`: the bot is a member; the default incoming webhook posts here.
pub const ESG_REPORTS: &str = "C0SANDBOX03";
/// `#random`: public, the bot is NOT a member (`not_in_channel`).
pub const RANDOM: &str = "C0SANDBOX04";
/// `#old-projects`: archived (`is_archived`).
pub const OLD_PROJECTS: &str = "C0SANDBOX05";
/// `#esg-steering`: private, the bot is a member (listed for `types=private_channel` only).
pub const ESG_STEERING: &str = "C0SANDBOX06";
/// `#board`: private, the bot is NOT a member: invisible to it (`channel_not_found`).
pub const BOARD: &str = "C0SANDBOX07";

/// How many `team-…` channels follow the named ones (enough that a client must page).
const TEAM_CHANNELS: usize = 30;
const TEAM_WORDS: [&str; TEAM_CHANNELS] = [
    "audit",
    "procurement",
    "payroll",
    "treasury",
    "tax",
    "facilities",
    "fleet",
    "travel",
    "it-ops",
    "cloud",
    "data",
    "legal",
    "marketing",
    "sales",
    "support",
    "design",
    "product",
    "people",
    "recruiting",
    "security",
    "compliance",
    "sustainability",
    "energy",
    "logistics",
    "warehouse",
    "retail",
    "suppliers",
    "events",
    "analytics",
    "leadership",
];

/// When the workspace's channels were created (unix seconds), 2 Dec 2024.
const CREATED: i64 = 1_733_097_600;

/// One channel as the stand-in keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub private: bool,
    pub archived: bool,
    /// Whether the app's bot user is in it.
    pub member: bool,
    pub general: bool,
    pub purpose: &'static str,
    pub members: u32,
}

/// What the control API changed about a channel, as kept in the state file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelState {
    pub archived: bool,
    pub member: bool,
}

/// Every channel, named ones first, then `team-…` (ids `C0SBXTEAM01`…).
pub fn directory() -> Vec<Channel> {
    let named = [
        (
            GENERAL,
            "general",
            false,
            false,
            true,
            "Company-wide announcements",
            48,
        ),
        (
            FINANCE,
            "finance",
            false,
            false,
            true,
            "Month end, budgets and spend",
            12,
        ),
        (
            ESG_REPORTS,
            "esg-reports",
            false,
            false,
            true,
            "Monthly emissions reports",
            9,
        ),
        (RANDOM, "random", false, false, false, "Anything at all", 47),
        (
            OLD_PROJECTS,
            "old-projects",
            false,
            true,
            false,
            "Finished work",
            6,
        ),
        (
            ESG_STEERING,
            "esg-steering",
            true,
            false,
            true,
            "Net-zero steering group",
            5,
        ),
        (BOARD, "board", true, false, false, "Board papers", 4),
    ];
    let mut out: Vec<Channel> = named
        .into_iter()
        .map(
            |(id, name, private, archived, member, purpose, members)| Channel {
                id: id.into(),
                name: name.into(),
                private,
                archived,
                member,
                general: id == GENERAL,
                purpose,
                members,
            },
        )
        .collect();
    out.extend(TEAM_WORDS.iter().enumerate().map(|(i, word)| Channel {
        id: format!("C0SBXTEAM{:02}", i + 1),
        name: format!("team-{word}"),
        private: false,
        archived: false,
        // Every third one has the bot in it.
        member: i % 3 == 0,
        general: false,
        purpose: "A team's own channel",
        members: 3 + (i as u32 % 7),
    }));
    out
}

/// The channels with the saved changes applied.
pub fn with_states(states: &BTreeMap<String, ChannelState>) -> Vec<Channel> {
    let mut channels = directory();
    for channel in &mut channels {
        if let Some(state) = states.get(&channel.id) {
            channel.archived = state.archived;
            channel.member = state.member;
        }
    }
    channels
}

/// The changes from the directory, for the state file.
pub fn states_of(channels: &[Channel]) -> BTreeMap<String, ChannelState> {
    let defaults = directory();
    channels
        .iter()
        .filter(|c| {
            defaults
                .iter()
                .find(|d| d.id == c.id)
                .is_none_or(|d| d.archived != c.archived || d.member != c.member)
        })
        .map(|c| {
            (
                c.id.clone(),
                ChannelState {
                    archived: c.archived,
                    member: c.member,
                },
            )
        })
        .collect()
}

/// The channel `reference` names: an id (`C0SANDBOX03`), `#name` or a bare name.
pub fn find<'a>(channels: &'a [Channel], reference: &str) -> Option<&'a Channel> {
    let reference = reference.trim();
    if let Some(c) = channels.iter().find(|c| c.id == reference) {
        return Some(c);
    }
    let name = reference.strip_prefix('#').unwrap_or(reference);
    channels.iter().find(|c| c.name == name)
}

impl Channel {
    /// Whether the bot can see the channel at all: every public one, and private ones it is
    /// in (others do not exist as far as it can tell).
    pub fn visible(&self) -> bool {
        !self.private || self.member
    }

    /// Slack's conversation object, as `conversations.list` and `conversations.info` give it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": true,
            "is_group": false,
            "is_im": false,
            "is_mpim": false,
            "is_private": self.private,
            "created": CREATED,
            "is_archived": self.archived,
            "is_general": self.general,
            "unlinked": 0,
            "is_shared": false,
            "is_org_shared": false,
            "is_ext_shared": false,
            "is_pending_ext_shared": false,
            "pending_shared": [],
            "context_team_id": super::TEAM_ID,
            "creator": super::USER_ID,
            "is_member": self.member,
            "num_members": self.members,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": super::USER_ID, "last_set": CREATED},
            "previous_names": [],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_has_fixed_unique_ids_and_finds_by_id_or_name() {
        let all = directory();
        assert_eq!(all.len(), 7 + TEAM_CHANNELS);
        let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert_eq!(find(&all, "#esg-reports").unwrap().id, ESG_REPORTS);
        assert_eq!(find(&all, "finance").unwrap().id, FINANCE);
        assert_eq!(find(&all, RANDOM).unwrap().name, "random");
        assert!(find(&all, "#nowhere").is_none());
    }

    #[test]
    fn only_changes_are_saved() {
        let mut all = directory();
        assert!(states_of(&all).is_empty());
        all[0].archived = true;
        let states = states_of(&all);
        assert_eq!(states.len(), 1);
        assert!(with_states(&states)[0].archived);
    }
}
