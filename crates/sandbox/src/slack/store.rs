//! What the Slack stand-in keeps: the messages it received (with their files and later
//! updates), uploads in progress, the channels' state, revoked tokens, queued faults, the
//! per-channel pace and handed-out response URLs. One lock, never held across an await nor
//! together with any of `AppState`'s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::channels::{self, Channel, ChannelState};
use super::pace::{Pace, DEFAULT_BURST, DEFAULT_INTERVAL};

/// Messages kept in the state file: the newest this many.
pub const SAVED_MESSAGES: usize = 200;
/// Messages kept in memory: older ones are dropped first.
const KEPT_MESSAGES: usize = 10_000;
/// `conversations.list` answers at most this many channels a page by default, whatever the
/// `limit` (Slack's docs: "fewer than the requested number of items may be returned, even if
/// the end of the list hasn't been reached"), so a client that does not page is caught.
pub const DEFAULT_PAGE_CAP: usize = 20;
/// A response URL works this long after the click (Slack's docs: "Handling user
/// interaction": up to 5 times within 30 minutes).
pub const RESPONSE_URL_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// And this many times.
pub const RESPONSE_URL_USES: u32 = 5;

/// A file shared with a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: String,
    pub title: String,
    /// The file name given to `files.getUploadURLExternal`.
    pub name: String,
    /// Bytes uploaded.
    pub size: u64,
    /// Whether the bytes start with the PNG signature.
    pub png: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_txt: Option<String>,
}

/// A later change of a kept message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// `chat.update` or `response_url`.
    pub via: String,
    /// `replace` (the message's text and blocks were replaced), `delete` (a response URL's
    /// `delete_original`), or a response URL's `ephemeral` / `in_channel` answer to the click.
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub blocks: Option<Value>,
    pub at: String,
}

/// A message the stand-in received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// 1, 2, … in the order received (kept across restarts on the same state file).
    pub id: u64,
    /// `bot` (Web API) or `webhook` (an incoming webhook).
    pub via: String,
    /// The channel's id.
    pub channel: String,
    pub channel_name: String,
    /// Slack's message timestamp, `1733050000.000100` (unique, increasing).
    pub ts: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub blocks: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Value>,
    #[serde(default)]
    pub files: Vec<FileRecord>,
    #[serde(default)]
    pub updates: Vec<Update>,
    /// RFC 3339 UTC.
    pub received_at: String,
}

impl Message {
    /// The text and blocks as they stand after the last replacement.
    pub fn current(&self) -> (Option<&String>, Option<&Value>) {
        match self.updates.iter().rev().find(|u| u.kind == "replace") {
            Some(u) => (u.text.as_ref(), u.blocks.as_ref()),
            None => (self.text.as_ref(), self.blocks.as_ref()),
        }
    }

    /// The message as Slack gives it back (`chat.postMessage`'s `message`, an interaction
    /// payload's `message`): the bot's, with a `block_id` on every block (Slack assigns one
    /// where the sender gave none).
    pub fn slack_shape(&self) -> Value {
        let (text, blocks) = self.current();
        let mut message = json!({
            "type": "message",
            "text": text.cloned().unwrap_or_default(),
            "user": super::BOT_USER_ID,
            "bot_id": super::BOT_ID,
            "app_id": super::APP_ID,
            "team": super::TEAM_ID,
            "ts": self.ts,
            "bot_profile": {
                "id": super::BOT_ID,
                "app_id": super::APP_ID,
                "name": "CarbonSync",
                "deleted": false,
                "team_id": super::TEAM_ID,
            },
        });
        if let Some(blocks) = blocks {
            message["blocks"] = with_block_ids(&self.ts, blocks);
        }
        if let Some(thread) = &self.thread_ts {
            message["thread_ts"] = json!(thread);
            message["parent_user_id"] = json!(super::BOT_USER_ID);
        }
        if !self.files.is_empty() {
            message["files"] = json!(self
                .files
                .iter()
                .map(|f| json!({"id": f.id, "name": f.name, "title": f.title, "size": f.size}))
                .collect::<Vec<_>>());
            message["upload"] = json!(true);
        }
        message
    }
}

/// `blocks` with a `block_id` on each block that has none: derived from the message's `ts`
/// and the block's place, so every answer about the message names the same ids.
pub fn with_block_ids(ts: &str, blocks: &Value) -> Value {
    let Some(list) = blocks.as_array() else {
        return blocks.clone();
    };
    Value::Array(
        list.iter()
            .enumerate()
            .map(|(i, block)| {
                let mut block = block.clone();
                if let Some(obj) = block.as_object_mut() {
                    if !obj.contains_key("block_id") {
                        obj.insert("block_id".into(), json!(auto_block_id(ts, i)));
                    }
                }
                block
            })
            .collect(),
    )
}

fn auto_block_id(ts: &str, index: usize) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Sha256::digest(format!("{ts}/{index}"))
        .iter()
        .take(5)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A file between `files.getUploadURLExternal` and `files.completeUploadExternal`.
pub struct Upload {
    pub name: String,
    /// The length promised, in bytes.
    pub length: u64,
    pub alt_txt: Option<String>,
    /// The bytes posted to the upload URL, once they are.
    pub bytes: Option<Vec<u8>>,
    pub completed: bool,
}

/// A fault queued by the control API: the next `remaining` calls of `method` answer `error`.
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    /// A Web API method (`chat.postMessage`), `webhook` or `upload`.
    pub method: String,
    pub error: String,
    pub remaining: u32,
    /// Seconds, for a rate limit's `Retry-After`.
    pub retry_after: u64,
    /// The HTTP status, where the error's usual one is not wanted.
    pub status: Option<u16>,
}

/// The pace and paging settings (`/_control/slack/settings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Messages a channel takes at once before the pace applies.
    pub burst: u32,
    /// Milliseconds between messages after the burst.
    pub interval_ms: u64,
    /// The most channels a `conversations.list` page holds, whatever the `limit`.
    pub page_cap: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            burst: DEFAULT_BURST,
            interval_ms: DEFAULT_INTERVAL.as_millis() as u64,
            page_cap: DEFAULT_PAGE_CAP,
        }
    }
}

/// A response URL handed out with a click.
pub struct ResponseUrl {
    pub message_id: u64,
    pub issued: Instant,
    pub uses: u32,
}

/// Everything the stand-in keeps, behind [`SlackShared`]'s lock.
pub struct Slack {
    pub messages: Vec<Message>,
    next_message_id: u64,
    last_ts_micros: i64,
    pub channels: Vec<Channel>,
    /// Uploads by file id.
    pub uploads: HashMap<String, Upload>,
    /// Upload URLs' opaque part → file id.
    pub upload_urls: HashMap<String, String>,
    /// Fingerprints of bot tokens revoked (so they answer `token_revoked`, not
    /// `invalid_auth`).
    pub revoked: BTreeSet<String>,
    /// Channels whose incoming webhook was disabled.
    pub disabled_hooks: BTreeSet<String>,
    pub faults: Vec<Fault>,
    pub pace: Pace,
    pub settings: Settings,
    pub response_urls: HashMap<String, ResponseUrl>,
}

/// The part of the stand-in kept in the state file. Files written before Slack was served
/// have none of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlackSaved {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub next_message_id: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channels: BTreeMap<String, ChannelState>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub revoked_tokens: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub disabled_hooks: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl SlackSaved {
    /// Nothing to save (so the state file leaves the key out).
    pub fn is_empty(&self) -> bool {
        *self == SlackSaved::default()
    }
}

impl Default for Slack {
    fn default() -> Self {
        Slack {
            messages: Vec::new(),
            next_message_id: 1,
            last_ts_micros: 0,
            channels: channels::directory(),
            uploads: HashMap::new(),
            upload_urls: HashMap::new(),
            revoked: BTreeSet::new(),
            disabled_hooks: BTreeSet::new(),
            faults: Vec::new(),
            pace: Pace::default(),
            settings: Settings::default(),
            response_urls: HashMap::new(),
        }
    }
}

impl Slack {
    /// A fresh, unique, increasing message timestamp: unix seconds and six digits.
    pub fn next_ts(&mut self) -> String {
        let now = chrono::Utc::now().timestamp_micros();
        let micros = now.max(self.last_ts_micros + 1);
        self.last_ts_micros = micros;
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }

    /// Keeps a new message (given everything but its id); returns its id.
    pub fn keep(&mut self, mut message: Message) -> u64 {
        message.id = self.next_message_id;
        self.next_message_id += 1;
        let id = message.id;
        self.messages.push(message);
        if self.messages.len() > KEPT_MESSAGES {
            let excess = self.messages.len() - KEPT_MESSAGES;
            self.messages.drain(..excess);
        }
        id
    }

    /// The channel `reference` names (id, `#name` or name).
    pub fn channel(&self, reference: &str) -> Option<&Channel> {
        channels::find(&self.channels, reference)
    }

    /// See [`Slack::channel`].
    pub fn channel_mut(&mut self, reference: &str) -> Option<&mut Channel> {
        let id = self.channel(reference)?.id.clone();
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// Takes one call's worth of the first fault queued for `method`, if any.
    pub fn take_fault(&mut self, method: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|f| f.method == method)?;
        let fault = &mut self.faults[index];
        fault.remaining = fault.remaining.saturating_sub(1);
        let taken = fault.clone();
        if fault.remaining == 0 {
            self.faults.remove(index);
        }
        Some(taken)
    }

    /// Room for one more message in `channel` at the current pace, or the seconds to wait.
    pub fn pace(&mut self, channel: &str) -> Result<(), u64> {
        let (burst, interval) = (
            self.settings.burst,
            Duration::from_millis(self.settings.interval_ms),
        );
        self.pace.take(channel, burst, interval, Instant::now())
    }

    /// A kept message by its id.
    pub fn message_mut(&mut self, id: u64) -> Option<&mut Message> {
        self.messages.iter_mut().find(|m| m.id == id)
    }
}

/// The stand-in's state behind its lock, with the seed its webhook URLs derive from.
pub struct SlackShared {
    pub seed: u64,
    inner: Mutex<Slack>,
}

impl SlackShared {
    /// A fresh stand-in whose webhook URLs derive from `seed`.
    pub fn new(seed: u64) -> Self {
        SlackShared {
            seed,
            inner: Mutex::default(),
        }
    }

    /// A panic in one handler must not wedge the stand-in; the data stays usable.
    pub fn lock(&self) -> MutexGuard<'_, Slack> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What goes in the state file.
    pub fn saved(&self) -> SlackSaved {
        let slack = self.lock();
        let skip = slack.messages.len().saturating_sub(SAVED_MESSAGES);
        SlackSaved {
            messages: slack.messages[skip..].to_vec(),
            next_message_id: if slack.next_message_id > 1 {
                slack.next_message_id
            } else {
                0
            },
            channels: channels::states_of(&slack.channels),
            revoked_tokens: slack.revoked.clone(),
            disabled_hooks: slack.disabled_hooks.clone(),
            settings: (slack.settings != Settings::default()).then_some(slack.settings),
        }
    }

    /// Takes back what a state file kept.
    pub fn restore(&self, saved: SlackSaved) {
        let mut slack = self.lock();
        let highest = saved.messages.iter().map(|m| m.id).max().unwrap_or(0);
        slack.next_message_id = saved.next_message_id.max(highest + 1).max(1);
        slack.last_ts_micros = saved
            .messages
            .iter()
            .filter_map(|m| parse_ts_micros(&m.ts))
            .max()
            .unwrap_or(0);
        slack.messages = saved.messages;
        slack.channels = channels::with_states(&saved.channels);
        slack.revoked = saved.revoked_tokens;
        slack.disabled_hooks = saved.disabled_hooks;
        slack.settings = saved.settings.unwrap_or_default();
    }
}

/// `1733050000.000100` → microseconds since 1970.
fn parse_ts_micros(ts: &str) -> Option<i64> {
    let (secs, micros) = ts.split_once('.')?;
    Some(secs.parse::<i64>().ok()? * 1_000_000 + micros.parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_increase_and_survive_a_restore() {
        let shared = SlackShared::new(1);
        let (a, b) = {
            let mut s = shared.lock();
            (s.next_ts(), s.next_ts())
        };
        assert!(parse_ts_micros(&b) > parse_ts_micros(&a));
        assert_eq!(a.split('.').nth(1).unwrap().len(), 6);
        let far = "99999999999.000001".to_string();
        shared.restore(SlackSaved {
            messages: vec![Message {
                id: 7,
                via: "bot".into(),
                channel: "C0SANDBOX03".into(),
                channel_name: "esg-reports".into(),
                ts: far.clone(),
                thread_ts: None,
                text: Some("hi".into()),
                blocks: None,
                attachments: None,
                files: vec![],
                updates: vec![],
                received_at: "2024-12-01T00:00:00.000Z".into(),
            }],
            ..SlackSaved::default()
        });
        let mut s = shared.lock();
        assert_eq!(s.next_ts(), "99999999999.000002");
        let first = s.messages[0].clone();
        let id = s.keep(first);
        assert_eq!(id, 8);
    }

    #[test]
    fn block_ids_are_filled_in_the_same_way_each_time() {
        let blocks = json!([{"type": "divider"}, {"type": "divider", "block_id": "mine"}]);
        let a = with_block_ids("1.000001", &blocks);
        assert_eq!(a, with_block_ids("1.000001", &blocks));
        assert_eq!(a[1]["block_id"], "mine");
        assert_eq!(a[0]["block_id"].as_str().unwrap().len(), 5);
    }
}
