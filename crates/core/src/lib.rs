//! The application API that every front end calls: the `carbonsync` CLI and the
//! desktop window go through the same functions here, so both behave the same.

mod app;
mod audit;
mod browser;
mod closes;
mod cloud;
mod config;
mod connect;
mod daemon;
mod decisions;
mod error;
mod events;
mod ghg_report;
mod inventory;
pub mod logging;
mod notify;
mod paths;
pub mod period;
mod platform;
mod redirect_connect;
mod review;
mod review_rules;
mod server;
mod settings;
mod suppliers;

pub use app::{App, OpenOptions};
pub use browser::open_in_browser;
pub use carbonsync_emissions::activity::{
    activities, Activity, ACTIVITY_SET, ACTIVITY_SET_VERSION,
};
pub use cloud::{CloudSummary, CLOUD_HISTORY_MONTHS, CLOUD_RESTATE_MONTHS};
pub use config::{Config, ProviderConfig, SandboxConfig, SyncConfig};
pub use connect::{ConnectOptions, TenantChoice};
pub use daemon::{DaemonHandle, ReportSink, SyncActivity};
pub use decisions::{EntryDetail, FactorChoice, ReviewQueue};
pub use error::AppError;
pub use events::{ConnectResult, SyncFinished};
pub use ghg_report::{
    data_quality, scope3_category_name, InventoryReport, MethodLine, MonthLine, ReportLine,
    ScopeTotals, AUDIT_FILE, CSV_FILES, SCOPE3_CATEGORIES,
};
pub use notify::{
    ChannelOption, ReportPreview, ALERT_AFTER_FAILURES, CHART_MONTHS, SLACK_BOUNCE_PATH,
};
pub use paths::{create_private, Paths};
pub use period::Period;
pub use redirect_connect::{ConnectOutcome, TenantOption, DEEP_LINK_REDIRECT};
pub use review::{CursorView, EmissionsSummary, LedgerPage, ProviderView, StreamView};
pub use review_rules::{PreviewedEntry, RulePreview, PREVIEW_LISTED};
pub use server::{
    ServerHandle, WEBHOOK_BODY_LIMIT_BYTES, WEBHOOK_COALESCE, WEBHOOK_KEYS_FRESH_FOR,
};
pub use settings::{ProviderSettings, SettingsView};
pub use suppliers::SupplierPage;

// What front ends need from the layers below, re-exported so they depend on core alone.
pub use carbonsync_providers::notifier::words as message_words;
pub use carbonsync_providers::{AuthKind, Category, ProviderEntry, RedirectStyle};
pub use carbonsync_providers::{CredentialField, Tenant};
pub use carbonsync_sandbox as sandbox;
pub use carbonsync_store::{
    AuditCheck, AuditRow, Classification, Decision, LineSnapshot, QueueItem, QueueReason,
    ReviewAction, ReviewProgress, ReviewRule, RuleInput, RuleMatch, SpendProgress, SplitPart,
    DELETED_REASON,
};
pub use carbonsync_store::{
    ChangeAfterClose, CloseChangeKind, ClosedLine, PeriodClose, Restatement, SupplierSummary,
};
pub use carbonsync_store::{
    Connection, ConnectionStatus, Delivery, Destination, DestinationSettings, EmissionsGroup,
    GroupBy, Incident, LedgerEntry, LedgerFilter, LedgerStatus, MonthState, ReportedFilter,
    ReportedGroup, ReportedGroupBy, ReportedMonth, ReportedRow, ReportedTotals, RunStatus,
    SetAsideRecord, SupplierRule, SyncRun, SyncRunCounts, Totals,
};
pub use carbonsync_sync::{
    next_tick, Frequency, Progress, SchedulerCommand, SyncOptions, SyncReport, Trigger,
};
pub use carbonsync_vault::Sensitive;
