//! Counting what the AWS SDK sends: an interceptor on each call sees every attempt of the
//! SDK's own retry loop, notes the throttled answers and the answer's `Date` header, and hands
//! the counts to the caller's [`CallMeter`].
//!
//! The meter is borrowed for one call while an SDK interceptor must own what it holds, so the
//! interceptor counts into a shared [`Tally`] and [`Metering`] moves the counts onto the meter
//! when it goes out of scope: after the call, or when the call is abandoned midway.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_sustainability::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_sustainability::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sustainability::error::BoxError;
use chrono::{DateTime, Utc};

use crate::http::CallMeter;

/// Error codes AWS answers when it throttles (the SDK's own list of throttling codes, for the
/// codes these two services send): the Sustainability API's `ThrottlingException` (HTTP 429),
/// Cost Explorer's `LimitExceededException` (HTTP 400, "Rate limit exceeded").
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

#[derive(Debug, Default)]
struct Tally {
    calls: AtomicU32,
    rate_limited: AtomicU32,
    /// The `Date` of the newest answer.
    server_time: Mutex<Option<DateTime<Utc>>>,
}

/// The counting of one connector call: gives out interceptors for its SDK requests and puts
/// what they counted on the meter when dropped.
pub(super) struct Metering<'m> {
    tally: Arc<Tally>,
    meter: &'m CallMeter,
}

impl<'m> Metering<'m> {
    pub(super) fn new(meter: &'m CallMeter) -> Self {
        Metering {
            tally: Arc::default(),
            meter,
        }
    }

    /// An interceptor to add to one SDK request (`customize().interceptor(..)`).
    pub(super) fn interceptor(&self) -> MeterInterceptor {
        MeterInterceptor(self.tally.clone())
    }

    /// AWS's clock at its newest answer, from its `Date` header.
    pub(super) fn server_time(&self) -> Option<DateTime<Utc>> {
        *self
            .tally
            .server_time
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Metering<'_> {
    fn drop(&mut self) {
        for _ in 0..self.tally.calls.swap(0, Ordering::Relaxed) {
            self.meter.record_call();
        }
        for _ in 0..self.tally.rate_limited.swap(0, Ordering::Relaxed) {
            self.meter.record_rate_limited();
        }
    }
}

/// Counts each attempt before it is sent and looks at each answer after it is read.
#[derive(Debug, Clone)]
pub(super) struct MeterInterceptor(Arc<Tally>);

impl Intercept for MeterInterceptor {
    fn name(&self) -> &'static str {
        "CarbonSyncCallMeter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else {
            // No answer at all (a connection failure): nothing to read.
            return Ok(());
        };
        if let Some(time) = response
            .headers()
            .get("date")
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        {
            *self.0.server_time.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(time.with_timezone(&Utc));
        }
        let status = response.status().as_u16();
        if status == 429 || (status == 400 && throttling_code(response)) {
            self.0.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Whether an error answer names a throttling code, in `x-amzn-ErrorType` (restJson1) or the
/// body's `__type` / `code` (awsJson1_1). The SDK has read the body by now, so it is in memory.
fn throttling_code(response: &aws_sdk_sustainability::config::http::HttpResponse) -> bool {
    let header = response
        .headers()
        .get("x-amzn-errortype")
        .map(str::to_owned);
    let body = response
        .body()
        .bytes()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| {
            ["__type", "code"]
                .iter()
                .find_map(|k| v.get(k).and_then(|c| c.as_str()).map(str::to_owned))
        });
    [header, body].into_iter().flatten().any(|code| {
        // `com.amazon.coral.service#ThrottlingException`, `ThrottlingException:http://…`.
        let code = code.split(':').next().unwrap_or_default();
        let code = code.rsplit('#').next().unwrap_or_default().trim();
        THROTTLING_CODES.contains(&code)
    })
}
