//! Stand-ins for the three cloud providers that publish their customers' emissions: AWS
//! (`/aws`), Microsoft Azure (`/azure`) and Google Cloud (`/gcp`). Each serves one generated
//! [`estate::Estate`] in its own shapes, units and errors.
//!
//! What they share lives here: the providers' clock (which decides which months are
//! published), restatements, and throttling, all driven by the control API
//! (`/_control/cloud/…`, see [`control`]).

pub mod aws;
pub mod azure;
pub mod control;
pub mod estate;
pub mod gcp;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

use crate::app::AppState;
use estate::{CloudScale, Estate};

/// The providers' clock when the sandbox starts: 10 January 2025, so the generated two years
/// are published through November 2024 and December 2024 is still pending (each provider
/// publishes a month by a day of the next: AWS the 21st, Azure the 19th, Google the 15th).
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 10, 12, 0, 0)
        .single()
        .expect("a valid date")
}

/// The first day of month index `m` (0 = January 2023).
pub fn month_date(m: u16) -> NaiveDate {
    let m = i32::from(m);
    NaiveDate::from_ymd_opt(2023 + m / 12, (m % 12) as u32 + 1, 1).expect("a valid month")
}

/// The month index of `date` (0 = January 2023), `None` before the generated range.
pub fn month_index(date: NaiveDate) -> Option<u16> {
    let m = (date.year() - 2023) * 12 + date.month0() as i32;
    u16::try_from(m).ok()
}

/// A provider the sandbox plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cloud {
    Aws,
    Azure,
    Gcp,
}

impl Cloud {
    pub fn parse(id: &str) -> Option<Cloud> {
        match id {
            "aws" => Some(Cloud::Aws),
            "azure" => Some(Cloud::Azure),
            "gcp" => Some(Cloud::Gcp),
            _ => None,
        }
    }

    /// The day of the following month by which the provider publishes a month.
    pub fn publication_day(self) -> u32 {
        match self {
            Cloud::Aws => 21,
            Cloud::Azure => 19,
            Cloud::Gcp => 15,
        }
    }

    fn salt(self) -> u64 {
        match self {
            Cloud::Aws => 0xA5,
            Cloud::Azure => 0xA2,
            Cloud::Gcp => 0x6C,
        }
    }
}

/// What the control API changed, shared by the three stand-ins.
#[derive(Debug)]
pub struct CloudControl {
    /// The providers' clock: decides the newest published month and is sent as `Date`.
    pub now: DateTime<Utc>,
    /// Restated months: every number of the month is multiplied by the factor, and the model
    /// version of the month gets the suffix (`3.0.0` → `3.0.1`).
    pub restated: BTreeMap<(Cloud, u16), Restatement>,
    /// The next this many data requests of a provider are refused as throttled.
    pub throttle: BTreeMap<Cloud, u32>,
}

/// A month a provider published again with other numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restatement {
    /// New value = old value × factor (exact).
    pub factor: Decimal,
    /// How many times the month was restated.
    pub revision: u32,
}

impl Default for CloudControl {
    fn default() -> Self {
        CloudControl {
            now: default_now(),
            restated: BTreeMap::new(),
            throttle: BTreeMap::new(),
        }
    }
}

/// The cloud part of the sandbox's shared state: estates built on first use, and the control.
#[derive(Debug)]
pub struct CloudShared {
    seed: u64,
    scale: CloudScale,
    aws: OnceCell<Arc<Estate>>,
    azure: OnceCell<Arc<Estate>>,
    gcp: OnceCell<Arc<Estate>>,
    control: Mutex<CloudControl>,
}

impl CloudShared {
    pub fn new(seed: u64, scale: CloudScale) -> Self {
        CloudShared {
            seed,
            scale,
            aws: OnceCell::new(),
            azure: OnceCell::new(),
            gcp: OnceCell::new(),
            control: Mutex::default(),
        }
    }

    /// The estate of `cloud`, generated (off the async workers) on first use.
    pub async fn estate(&self, cloud: Cloud) -> Arc<Estate> {
        let cell = match cloud {
            Cloud::Aws => &self.aws,
            Cloud::Azure => &self.azure,
            Cloud::Gcp => &self.gcp,
        };
        let (seed, scale) = (self.seed, self.scale);
        cell.get_or_init(|| async move {
            tokio::task::spawn_blocking(move || {
                Arc::new(Estate::generate(seed, cloud.salt(), scale))
            })
            .await
            .expect("generating a cloud estate panicked")
        })
        .await
        .clone()
    }

    /// The seed the sandbox was started with (Google's generated key depends on it).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn control(&self) -> MutexGuard<'_, CloudControl> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The providers' clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.control().now
    }

    /// The newest month index `cloud` has published at its clock, `None` when none is.
    pub fn published_through(&self, cloud: Cloud) -> Option<u16> {
        let now = self.now().date_naive();
        let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)?;
        // Last month is published from the publication day on; the one before always is.
        let back = if now.day() >= cloud.publication_day() {
            1
        } else {
            2
        };
        let newest = this_month.checked_sub_months(chrono::Months::new(back))?;
        let index = month_index(newest)?;
        Some(index.min(crate::company::calendar::MONTHS as u16 - 1))
    }

    /// Takes one of the throttled answers the control API asked `cloud` to give, if any are
    /// left (`/_control/cloud/{platform}/throttle`).
    pub fn take_throttle(&self, cloud: Cloud) -> bool {
        let mut control = self.control();
        match control.throttle.get_mut(&cloud) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// The restatement of a month, if any.
    pub fn restatement(&self, cloud: Cloud, month: u16) -> Option<Restatement> {
        self.control().restated.get(&(cloud, month)).copied()
    }

    /// A value as published for `month`: restated months scaled exactly, rounded to grams.
    pub fn published(&self, cloud: Cloud, month: u16, kg: Decimal) -> Decimal {
        match self.restatement(cloud, month) {
            Some(r) => (kg * r.factor).round_dp(3),
            None => kg,
        }
    }
}

/// The three stand-ins' routes.
pub fn routes() -> Router<AppState> {
    control::routes()
        .merge(aws::routes())
        .merge(azure::routes())
        .merge(gcp::routes())
}

/// The sandbox's own credentials for `platform` (`aws`, `azure`, `gcp`), by connect-form field
/// name, for a sandbox started with `seed`: what `connect <platform> --sandbox` enters.
/// `None` for a platform the sandbox does not play.
pub fn credentials(platform: &str, seed: u64) -> Option<BTreeMap<String, String>> {
    Some(match Cloud::parse(platform)? {
        Cloud::Aws => aws::credentials(),
        Cloud::Azure => azure::credentials(),
        Cloud::Gcp => gcp::credentials(seed),
    })
}
