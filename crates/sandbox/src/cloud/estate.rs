//! A generated cloud estate: what a company's accounts (AWS accounts, Azure subscriptions,
//! Google Cloud projects) used, month by month, service by service, region by region, over the
//! same two years as the generated books (2023 and 2024), with the emissions each provider
//! would report for it. Each platform's stand-in names the accounts, services and regions its
//! own way and serves these numbers in its own shapes and units.
//!
//! Numbers are exact decimals in kg CO2e with three decimals (grams), so a provider that
//! publishes metric tons (AWS) publishes them exactly with six.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crate::company::calendar::MONTHS;

/// How big an estate is: the default is a small company; the benchmark asks for
/// 10 accounts × 50 services × 20 regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudScale {
    pub accounts: usize,
    pub services: usize,
    pub regions: usize,
    /// The share (0–100) of account × service × region combinations in use.
    pub density_percent: u8,
}

impl Default for CloudScale {
    fn default() -> Self {
        CloudScale {
            accounts: 3,
            services: 24,
            regions: 5,
            density_percent: 35,
        }
    }
}

/// One month of one account × service × region, in kg CO2e (exact, grams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// 0 = January 2023.
    pub month: u16,
    pub account: u16,
    pub service: u16,
    pub region: u16,
    pub scope1: Decimal,
    pub scope2_location: Decimal,
    pub scope2_market: Decimal,
    pub scope3_location: Decimal,
    pub scope3_market: Decimal,
    /// What the month of this usage cost, in USD (exact, cents).
    pub cost_usd: Decimal,
}

/// The usage rows of one platform's estate, ordered by month, account, service, region.
#[derive(Debug, Clone)]
pub struct Estate {
    /// The counts it was generated at (stand-ins name accounts, services and regions by index).
    pub scale: CloudScale,
    pub usage: Vec<Usage>,
}

/// kg with three decimals from a whole number of grams.
fn grams(g: u64) -> Decimal {
    Decimal::new(g as i64, 3)
}

impl Estate {
    /// The estate of one platform: the same `seed` and `salt` (one per platform) always give
    /// the same rows.
    pub fn generate(seed: u64, salt: u64, scale: CloudScale) -> Estate {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ salt.rotate_left(17));
        // Which combinations are in use, and how big each one is (grams of Scope 2 a month),
        // drawn once so a combination's months follow one another smoothly.
        let mut combos = Vec::new();
        for account in 0..scale.accounts {
            for service in 0..scale.services {
                for region in 0..scale.regions {
                    // The first region of every service is always used, so each service
                    // appears somewhere.
                    let used = region == 0 || rng.random_range(0..100u8) < scale.density_percent;
                    if used {
                        // Bigger services first: a long tail, as in a real bill.
                        let base = rng.random_range(2_000u64..400_000) / (service as u64 / 4 + 1);
                        let start = rng.random_range(0..MONTHS as u16 / 2);
                        combos.push((account as u16, service as u16, region as u16, base, start));
                    }
                }
            }
        }
        let mut usage = Vec::with_capacity(combos.len() * MONTHS);
        for month in 0..MONTHS as u16 {
            for &(account, service, region, base, start) in &combos {
                if month < start && service % 3 != 0 {
                    continue;
                }
                // Usage grows about 2% a month, with ±15% noise.
                let growth = 100 + u64::from(month) * 2;
                let noise = rng.random_range(85u64..=115);
                let s2 = (base * growth * noise / 10_000).max(1);
                // Market-based is lower where the provider buys renewable energy.
                let market_share = rng.random_range(5u64..=100);
                let s1 = s2 / 200;
                let s3 = s2 * rng.random_range(30u64..=90) / 100;
                let s3_market = s3 * rng.random_range(90u64..=100) / 100;
                // Roughly USD 0.04 a gram of Scope 2, in cents.
                let cents = (s2 * rng.random_range(3u64..=6) / 100).max(1);
                usage.push(Usage {
                    month,
                    account,
                    service,
                    region,
                    scope1: grams(s1),
                    scope2_location: grams(s2),
                    scope2_market: grams(s2 * market_share / 100),
                    scope3_location: grams(s3),
                    scope3_market: grams(s3_market),
                    cost_usd: Decimal::new(cents as i64, 2),
                });
            }
        }
        usage.sort_by_key(|u| (u.month, u.account, u.service, u.region));
        Estate { scale, usage }
    }

    /// The rows of `month` (0 = January 2023).
    pub fn month(&self, month: u16) -> &[Usage] {
        let start = self.usage.partition_point(|u| u.month < month);
        let end = self.usage.partition_point(|u| u.month <= month);
        &self.usage[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_estate_and_another_platform_another() {
        let a = Estate::generate(7, 1, CloudScale::default());
        let b = Estate::generate(7, 1, CloudScale::default());
        let c = Estate::generate(7, 2, CloudScale::default());
        assert_eq!(a.usage, b.usage);
        assert_ne!(a.usage, c.usage);
        assert!(a.usage.len() > 500, "{}", a.usage.len());
        // Every month is there, in order, and each row's numbers are positive.
        for m in 0..MONTHS as u16 {
            assert!(!a.month(m).is_empty(), "month {m}");
        }
        assert!(a.usage.iter().all(|u| u.scope2_location > Decimal::ZERO
            && u.scope2_market <= u.scope2_location
            && u.scope3_market <= u.scope3_location));
    }
}
