//! How a stream is read page by page so that every record is fetched, whatever the platform's
//! `If-Modified-Since` comparison (strict, inclusive, whole seconds) and however many records
//! share one modification time, and so that the sync always ends.
//!
//! A *walk* keeps one `If-Modified-Since` for all its pages and asks for page 1, 2, 3 … until the
//! last page; the stream's position (`modified_since`) moves only when the walk is done, in the
//! same transaction as its last page. The header is set a little *before* the position (the
//! start of the previous whole second), so records that share the position's timestamp, or its
//! second, are read again instead of skipped; the store recognises them as unchanged.
//!
//! Paging by number has one hazard keyset paging does not: a record edited during the walk
//! leaves its place (it moves to the end, with a new time), and every record after its old place
//! moves up by one, so one record at the current page boundary can slip into a page already
//! read. The store reports such revisions (a record whose old version was inside the walk and
//! whose new one was made after the walk began), and the walk then makes another pass from the
//! revised record's old time. The walk is saved with every page, so a sync that stops resumes it.

use serde::{Deserialize, Serialize};

/// Passes one sync makes over a stream before leaving the rest to the next sync (each pass is
/// caused by records edited while the previous pass ran).
pub const MAX_PASSES: u32 = 3;

/// A revised record counts as edited during the walk when its new time is at most this long
/// before the walk began by the platform's clock: generous, since a needless pass costs little.
pub const EDIT_MARGIN_MS: i64 = 60_000;

/// An unfinished walk through a stream, saved with every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    /// `If-Modified-Since` for every page of this pass (ms since epoch); `None` reads all.
    pub header_ms: Option<i64>,
    /// The next page to ask for (1-based).
    pub page: u32,
    /// The newest modification time seen by this walk (ms).
    pub newest_ms: Option<i64>,
    /// Revised records seen in this pass may have shifted the pages: read again from here (ms).
    pub rewind_ms: Option<i64>,
    /// Passes completed before this one.
    pub pass: u32,
    /// The platform's clock when the walk began (ms).
    pub began_ms: Option<i64>,
    /// A whole read of a platform that leaves deleted records out of its listings: its pages
    /// mark what they list with this, and its end deletes what was not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<i64>,
    /// The position follows the platform's clock (when the walk began), not only the newest
    /// record seen: for platforms asked "what changed since" by time of change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follows_clock: bool,
}

impl Walk {
    /// A new walk for a stream complete up to `since` (`None`: read everything).
    pub fn start(since: Option<i64>) -> Walk {
        Walk {
            header_ms: since.map(header_for),
            page: 1,
            newest_ms: None,
            rewind_ms: None,
            pass: 0,
            began_ms: None,
            sweep: None,
            follows_clock: false,
        }
    }

    pub fn to_json(self) -> String {
        serde_json::to_string(&self).expect("a walk serialises")
    }

    /// A saved walk, or `None` when it cannot be read (then the stream starts a new walk, which
    /// only costs reading again).
    pub fn from_json(text: &str) -> Option<Walk> {
        serde_json::from_str(text).ok()
    }

    /// Notes the modification times of a page just read.
    pub fn saw(&mut self, newest_on_page: Option<i64>) {
        self.newest_ms = max_opt(self.newest_ms, newest_on_page);
    }

    /// Records a revision the store reported.
    pub fn revised(&mut self, old_ms: Option<i64>) {
        self.rewind_ms = min_opt(self.rewind_ms, old_ms);
    }

    /// Revised records count as edited during the walk when modified after this (ms).
    pub fn edited_after_ms(&self) -> i64 {
        self.began_ms.map_or(i64::MIN, |b| b - EDIT_MARGIN_MS)
    }

    /// What follows the last page of a pass, given where the stream stood before the walk.
    pub fn end_of_pass(&self, since: Option<i64>) -> AfterPass {
        match self.rewind_ms {
            Some(rewind) if self.pass + 1 < MAX_PASSES => AfterPass::Again(Walk {
                header_ms: Some(header_for(rewind)),
                page: 1,
                rewind_ms: None,
                pass: self.pass + 1,
                ..*self
            }),
            // Passes used up while the stream keeps changing: the next sync starts at the
            // earliest place a record may have slipped past.
            Some(rewind) => AfterPass::Done {
                modified_since: Some(rewind),
            },
            None => {
                // Everything changed before the walk began (less the margin for edits the
                // platform's clock may still be stamping) was listed by it.
                let clock = self
                    .began_ms
                    .filter(|_| self.follows_clock)
                    .map(|b| b - EDIT_MARGIN_MS);
                AfterPass::Done {
                    modified_since: max_opt(max_opt(since, self.newest_ms), clock),
                }
            }
        }
    }
}

/// What a stream does once a pass has read its last page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPass {
    /// Read again from an earlier point: records may have slipped between pages.
    Again(Walk),
    /// The stream is complete up to `modified_since`.
    Done { modified_since: Option<i64> },
}

/// The `If-Modified-Since` (ms) that reads every record modified at or after `since` whatever the
/// platform's comparison: the start of the whole second before `since`. Strict or inclusive, at
/// milliseconds or whole seconds, every record from `since` on is then after the header.
pub fn header_for(since: i64) -> i64 {
    since.div_euclid(1000) * 1000 - 1000
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_reads_every_record_of_the_position_under_any_comparison() {
        // 12:00:05.250 → 12:00:04.000: strictly after it at ms, or at/after it in whole
        // seconds, or strictly after its second, all include 12:00:05.250 and 12:00:05.000.
        let since = 1_700_000_005_250;
        let h = header_for(since);
        assert_eq!(h, 1_700_000_004_000);
        for record in [1_700_000_005_000, since] {
            assert!(record > h, "strict ms");
            assert!(record / 1000 > h / 1000, "strict whole seconds");
        }
        assert_eq!(header_for(-1), -2000);
    }

    #[test]
    fn a_pass_without_revisions_ends_at_the_newest_record_seen() {
        let mut w = Walk::start(Some(5_000));
        w.saw(Some(9_000));
        w.saw(Some(7_000));
        assert_eq!(
            w.end_of_pass(Some(5_000)),
            AfterPass::Done {
                modified_since: Some(9_000)
            }
        );
        // Nothing new at all: the position stays.
        let w = Walk::start(Some(5_000));
        assert_eq!(
            w.end_of_pass(Some(5_000)),
            AfterPass::Done {
                modified_since: Some(5_000)
            }
        );
    }

    #[test]
    fn revisions_during_a_pass_read_again_from_the_earliest_old_time_then_stop() {
        let mut w = Walk::start(None);
        w.saw(Some(9_000));
        w.revised(Some(4_500));
        w.revised(Some(6_000));
        let AfterPass::Again(again) = w.end_of_pass(None) else {
            panic!("expected another pass")
        };
        assert_eq!(again.header_ms, Some(header_for(4_500)));
        assert_eq!((again.page, again.pass, again.rewind_ms), (1, 1, None));
        assert_eq!(again.newest_ms, Some(9_000));

        let mut last = Walk {
            pass: MAX_PASSES - 1,
            ..again
        };
        last.revised(Some(4_700));
        assert_eq!(
            last.end_of_pass(None),
            AfterPass::Done {
                modified_since: Some(4_700)
            }
        );
    }

    #[test]
    fn a_walk_that_follows_the_clock_ends_where_it_began_less_the_margin() {
        let mut w = Walk::start(Some(5_000));
        w.follows_clock = true;
        w.began_ms = Some(1_000_000);
        w.saw(Some(9_000));
        assert_eq!(
            w.end_of_pass(Some(5_000)),
            AfterPass::Done {
                modified_since: Some(1_000_000 - EDIT_MARGIN_MS)
            }
        );
    }

    #[test]
    fn a_walk_saved_before_sweeps_existed_still_reads() {
        let old =
            r#"{"header_ms":null,"page":3,"newest_ms":7,"rewind_ms":null,"pass":0,"began_ms":9}"#;
        let w = Walk::from_json(old).unwrap();
        assert_eq!((w.page, w.sweep, w.follows_clock), (3, None, false));
    }

    #[test]
    fn a_walk_survives_its_saved_form() {
        let mut w = Walk::start(Some(1));
        w.saw(Some(3));
        w.began_ms = Some(10);
        assert_eq!(Walk::from_json(&w.to_json()), Some(w));
        assert_eq!(Walk::from_json("not json"), None);
    }
}
