//! How the generated estate looks in Azure's words: estate accounts are subscriptions (GUIDs
//! with names), services are ARM resource types (`microsoft.compute/virtualmachines`), regions
//! are locations as the Carbon Optimization report writes them (the display name in lower
//! case, `west europe`), and each account × service × region is one to three resources in a
//! resource group. Everything is a function of the indexes, so the same estate always has the
//! same names.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use uuid::Uuid;

/// What every generated subscription GUID is derived from (UUID v5 of a URL under it).
const ID_ROOT: &str = "https://sandbox.carbonsync.invalid/azure/";

/// ARM resource types in lower case, as the report's `resourceType`, with the abbreviation
/// Microsoft's naming guidance uses for their resources. Biggest emitters first, matching the
/// estate's long tail (its first services are its biggest).
const RESOURCE_TYPES: &[(&str, &str)] = &[
    ("microsoft.compute/virtualmachines", "vm"),
    ("microsoft.containerservice/managedclusters", "aks"),
    ("microsoft.sql/servers/databases", "sqldb"),
    ("microsoft.storage/storageaccounts", "st"),
    ("microsoft.compute/virtualmachinescalesets", "vmss"),
    ("microsoft.web/sites", "app"),
    ("microsoft.documentdb/databaseaccounts", "cosmos"),
    ("microsoft.compute/disks", "disk"),
    ("microsoft.web/serverfarms", "asp"),
    ("microsoft.databricks/workspaces", "dbw"),
    ("microsoft.synapse/workspaces", "synw"),
    ("microsoft.dbforpostgresql/flexibleservers", "psql"),
    ("microsoft.machinelearningservices/workspaces", "mlw"),
    ("microsoft.cache/redis", "redis"),
    ("microsoft.network/applicationgateways", "agw"),
    ("microsoft.network/azurefirewalls", "afw"),
    ("microsoft.kusto/clusters", "dec"),
    ("microsoft.dbformysql/flexibleservers", "mysql"),
    ("microsoft.sql/managedinstances", "sqlmi"),
    ("microsoft.cognitiveservices/accounts", "cog"),
    ("microsoft.app/containerapps", "ca"),
    ("microsoft.hdinsight/clusters", "hdi"),
    ("microsoft.network/virtualnetworkgateways", "vgw"),
    ("microsoft.search/searchservices", "srch"),
    ("microsoft.network/loadbalancers", "lbi"),
    ("microsoft.eventhub/namespaces", "evhns"),
    ("microsoft.servicebus/namespaces", "sbns"),
    ("microsoft.containerregistry/registries", "cr"),
    ("microsoft.operationalinsights/workspaces", "log"),
    ("microsoft.datafactory/factories", "adf"),
    ("microsoft.network/frontdoors", "afd"),
    ("microsoft.cdn/profiles", "cdnp"),
    ("microsoft.recoveryservices/vaults", "rsv"),
    ("microsoft.apimanagement/service", "apim"),
    (
        "microsoft.netapp/netappaccounts/capacitypools/volumes",
        "vol",
    ),
    ("microsoft.streamanalytics/streamingjobs", "asa"),
    ("microsoft.signalrservice/signalr", "sigr"),
    ("microsoft.network/bastionhosts", "bas"),
    ("microsoft.network/natgateways", "ng"),
    ("microsoft.compute/snapshots", "snap"),
    ("microsoft.desktopvirtualization/hostpools", "vdpool"),
    ("microsoft.avs/privateclouds", "avs"),
    ("microsoft.batch/batchaccounts", "ba"),
    ("microsoft.devices/iothubs", "iot"),
    ("microsoft.network/expressroutecircuits", "erc"),
    ("microsoft.network/publicipaddresses", "pip"),
    ("microsoft.insights/components", "appi"),
    ("microsoft.keyvault/vaults", "kv"),
    ("microsoft.logic/workflows", "logic"),
    ("microsoft.eventgrid/topics", "evgt"),
    ("microsoft.automation/automationaccounts", "aa"),
    ("microsoft.compute/images", "img"),
    ("microsoft.web/staticsites", "stapp"),
    ("microsoft.network/privateendpoints", "pep"),
    ("microsoft.dbformariadb/servers", "maria"),
];

/// Azure locations as the report writes them: the region's display name in lower case.
const LOCATIONS: &[&str] = &[
    "west europe",
    "north europe",
    "east us",
    "uk south",
    "east us 2",
    "germany west central",
    "sweden central",
    "france central",
    "west us 2",
    "central us",
    "west us 3",
    "south central us",
    "canada central",
    "switzerland north",
    "norway east",
    "australia east",
    "southeast asia",
    "japan east",
    "uk west",
    "north central us",
    "brazil south",
    "east asia",
    "central india",
    "korea central",
    "uae north",
    "south africa north",
    "italy north",
    "poland central",
    "spain central",
    "west central us",
];

/// The workload half of resource-group names (`rg-web-prod`).
const WORKLOADS: &[&str] = &[
    "web-prod",
    "api-prod",
    "data-prod",
    "analytics",
    "shared-network",
    "identity",
    "monitoring",
    "backup",
    "ml-platform",
    "integration",
    "web-staging",
    "data-dev",
];

const SUBSCRIPTION_NAMES: &[&str] = &[
    "Cedar & Finch Production",
    "Cedar & Finch Development",
    "Cedar & Finch Shared Services",
    "Cedar & Finch Data Platform",
    "Cedar & Finch Test",
    "Cedar & Finch Connectivity",
    "Cedar & Finch Management",
    "Cedar & Finch Identity",
    "Cedar & Finch Analytics",
    "Cedar & Finch Sandbox",
];

/// The subscription GUID of estate account `account`, lower case.
pub fn subscription_id(account: u16) -> String {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("{ID_ROOT}subscriptions/{account}").as_bytes(),
    )
    .to_string()
}

pub fn subscription_name(account: u16) -> String {
    match SUBSCRIPTION_NAMES.get(usize::from(account)) {
        Some(name) => (*name).to_owned(),
        None => format!("Cedar & Finch Workload {}", account + 1),
    }
}

/// An object id for a sandbox principal, stable across runs.
pub fn object_id(client_id: &str) -> String {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("{ID_ROOT}principals/{client_id}").as_bytes(),
    )
    .to_string()
}

/// The resource type of estate service `service`; past the real list, generated types that
/// cannot be mistaken for real ones.
pub fn resource_type(service: u16) -> (String, String) {
    match RESOURCE_TYPES.get(usize::from(service)) {
        Some((kind, abbr)) => ((*kind).to_owned(), (*abbr).to_owned()),
        None => (
            format!("microsoft.sandbox/resourcetype{service}"),
            format!("res{service}"),
        ),
    }
}

/// The location of estate region `region` as the report writes it.
pub fn location(region: u16) -> String {
    match LOCATIONS.get(usize::from(region)) {
        Some(name) => (*name).to_owned(),
        None => format!("sandbox region {region}"),
    }
}

/// One resource of the estate: part of one account × service × region.
#[derive(Debug, Clone)]
pub struct Resource {
    pub subscription: String,
    pub group: String,
    /// As the report writes it (`west europe`).
    pub location: String,
    pub kind: String,
    pub name: String,
    /// `/subscriptions/…/resourceGroups/…/providers/…`.
    pub id: String,
    /// Its share of the combination's emissions, relative to its siblings'.
    pub weight: u64,
}

/// The resources an account × service × region is made of: one to three, in one resource
/// group, so a report by resource lists several items that sum to the estate's number.
pub fn resources(account: u16, service: u16, region: u16) -> Vec<Resource> {
    let (a, s, r) = (u64::from(account), u64::from(service), u64::from(region));
    let subscription = subscription_id(account);
    let workload = WORKLOADS[((a * 5 + s * 3 + r * 7) % WORKLOADS.len() as u64) as usize];
    let group = format!("rg-{workload}");
    let location = location(region);
    let place: String = location.split_whitespace().collect();
    let (kind, abbr) = resource_type(service);
    let count = 1 + (a * 31 + s * 17 + r * 7) % 3;
    (0..count)
        .map(|j| {
            let name = format!("{abbr}-{workload}-{place}-{:02}", j + 1);
            // Nested types (`microsoft.sql/servers/databases`) name a parent per level.
            let mut segments = kind.split('/');
            let namespace = segments.next().unwrap_or_default();
            let types: Vec<&str> = segments.collect();
            let mut path = namespace.to_owned();
            for (level, t) in types.iter().enumerate() {
                let part = if level + 1 == types.len() {
                    name.clone()
                } else {
                    format!("{abbr}{}-{workload}-{place}", level + 1)
                };
                path.push_str(&format!("/{t}/{part}"));
            }
            Resource {
                subscription: subscription.clone(),
                group: group.clone(),
                location: location.clone(),
                kind: kind.clone(),
                id: format!(
                    "/subscriptions/{subscription}/resourceGroups/{group}/providers/{path}"
                ),
                name,
                weight: 3 + (a + s * 5 + r * 11 + j * 13) % 7,
            }
        })
        .collect()
}

/// `kg` (three decimals) split exactly between `weights`: whole grams, the remainder to the
/// last, so the parts add up to `kg` to the gram.
pub fn split(kg: Decimal, weights: &[u64]) -> Vec<Decimal> {
    let grams = (kg.round_dp(3) * Decimal::ONE_THOUSAND)
        .to_i128()
        .unwrap_or_default();
    let total: i128 = weights.iter().map(|w| i128::from(*w)).sum::<i128>().max(1);
    let mut parts = Vec::with_capacity(weights.len());
    let mut given = 0i128;
    for (j, w) in weights.iter().enumerate() {
        let part = if j + 1 == weights.len() {
            grams - given
        } else {
            grams * i128::from(*w) / total
        };
        given += part;
        parts.push(Decimal::from_i128_with_scale(part, 3));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_distinct_and_long_enough() {
        assert_eq!(subscription_id(0), subscription_id(0));
        assert_ne!(subscription_id(0), subscription_id(1));
        assert!(RESOURCE_TYPES.len() >= 50 && LOCATIONS.len() >= 20);
        let kinds: std::collections::BTreeSet<_> = (0..80).map(|s| resource_type(s).0).collect();
        assert_eq!(kinds.len(), 80);
        let places: std::collections::BTreeSet<_> = (0..40).map(location).collect();
        assert_eq!(places.len(), 40);
        let r = resources(1, 2, 0);
        assert!(
            r[0].id.contains("/providers/microsoft.sql/servers/sqldb1-"),
            "{}",
            r[0].id
        );
        assert!(r[0].id.ends_with(&format!("/databases/{}", r[0].name)));
    }

    #[test]
    fn splits_add_up_to_the_gram() {
        let kg = Decimal::new(123_457, 3);
        let parts = split(kg, &[3, 5, 9]);
        assert_eq!(parts.iter().sum::<Decimal>(), kg);
        assert_eq!(
            split(Decimal::new(1, 3), &[4, 4]).iter().sum::<Decimal>(),
            Decimal::new(1, 3)
        );
    }
}
