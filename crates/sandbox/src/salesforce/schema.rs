//! The Net Zero Cloud objects the org serves and their fields.
//!
//! Object and field names, types and scales come from Salesforce's reference: the Net Zero
//! Cloud Developer Guide, "Net Zero Cloud Standard Objects" (every object here is available
//! in API version 54.0 and later), and the Salesforce Field Reference Guide pages for
//! `StnryAssetCrbnFtprnt`, `VehicleAssetCrbnFtprnt`, `Scope3CrbnFtprnt` and
//! `Scope3PcmtSummary` (API version 67.0). Each object carries the subset of its fields a
//! carbon-accounting client reads or writes, plus the system fields every object has.
//!
//! `CarbonSync_Key__c` is not a standard field: it is the custom external-id field (`__c`) an
//! org adds to `Scope3PcmtSummary` so that CarbonSync can upsert its exports.
//!
//! Key prefixes: the reference does not list them for these objects, so the three
//! characters below are the sandbox's own. A client must not hard-code them (a real org
//! reports an object's `keyPrefix` in its describe).

/// Salesforce field types, as the reference names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// The record's own id.
    Id,
    /// The id of another record.
    Reference,
    String,
    Textarea,
    Picklist,
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// UTC, written `2024-01-05T02:00:00.000+0000`.
    DateTime,
    /// A JSON number with at most `scale` decimal places.
    Double {
        scale: u32,
    },
}

impl FieldType {
    /// The type's name in Salesforce's messages (`dateTime`, `double`, …).
    pub fn soap_name(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::Reference => "reference",
            FieldType::String | FieldType::Textarea | FieldType::Picklist => "string",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateTime => "dateTime",
            FieldType::Double { .. } => "double",
        }
    }
}

/// A field an object defines itself (as opposed to the system fields every object has).
#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub kind: FieldType,
    /// Must be given when a record is created.
    pub required: bool,
    /// An external id: upserts may name records by it, and it is unique.
    pub external_id: bool,
}

const fn field(name: &'static str, kind: FieldType) -> FieldDef {
    FieldDef {
        name,
        kind,
        required: false,
        external_id: false,
    }
}

const fn required(name: &'static str, kind: FieldType) -> FieldDef {
    FieldDef {
        name,
        kind,
        required: true,
        external_id: false,
    }
}

/// A double with two decimals: the scale the reference gives the footprints' tCO2e and
/// energy totals on `StnryAssetCrbnFtprnt` and `VehicleAssetCrbnFtprnt`.
const DOUBLE_2: FieldType = FieldType::Double { scale: 2 };
/// A double with five decimals: the scale of every tCO2e field on `Scope3CrbnFtprnt` and
/// `Scope3PcmtSummary`, and of `TotalSpentAmount`.
const DOUBLE_5: FieldType = FieldType::Double { scale: 5 };

/// The fields every object has, written by the platform only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemField {
    Id,
    IsDeleted,
    CreatedDate,
    CreatedById,
    LastModifiedDate,
    LastModifiedById,
    SystemModstamp,
    OwnerId,
}

impl SystemField {
    pub const ALL: [SystemField; 8] = [
        SystemField::Id,
        SystemField::IsDeleted,
        SystemField::CreatedDate,
        SystemField::CreatedById,
        SystemField::LastModifiedDate,
        SystemField::LastModifiedById,
        SystemField::SystemModstamp,
        SystemField::OwnerId,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SystemField::Id => "Id",
            SystemField::IsDeleted => "IsDeleted",
            SystemField::CreatedDate => "CreatedDate",
            SystemField::CreatedById => "CreatedById",
            SystemField::LastModifiedDate => "LastModifiedDate",
            SystemField::LastModifiedById => "LastModifiedById",
            SystemField::SystemModstamp => "SystemModstamp",
            SystemField::OwnerId => "OwnerId",
        }
    }

    pub fn kind(self) -> FieldType {
        match self {
            SystemField::Id => FieldType::Id,
            SystemField::IsDeleted => FieldType::Boolean,
            SystemField::CreatedDate
            | SystemField::LastModifiedDate
            | SystemField::SystemModstamp => FieldType::DateTime,
            SystemField::CreatedById | SystemField::LastModifiedById | SystemField::OwnerId => {
                FieldType::Reference
            }
        }
    }
}

/// A column of an object: a system field or one of the object's own (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    System(SystemField),
    Own(usize),
}

/// The objects the org serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    StnryAssetEnvrSrc,
    StnryAssetCrbnFtprnt,
    VehicleAssetEmssnSrc,
    VehicleAssetCrbnFtprnt,
    Scope3CrbnFtprnt,
    Scope3PcmtSummary,
    /// The org itself: one record, whose id is the org id of the identity URL.
    Organization,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 7] = [
        ObjectKind::StnryAssetEnvrSrc,
        ObjectKind::StnryAssetCrbnFtprnt,
        ObjectKind::VehicleAssetEmssnSrc,
        ObjectKind::VehicleAssetCrbnFtprnt,
        ObjectKind::Scope3CrbnFtprnt,
        ObjectKind::Scope3PcmtSummary,
        ObjectKind::Organization,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn def(self) -> &'static ObjectDef {
        &OBJECTS[self.index()]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Object names are case-insensitive in SOQL and in REST paths.
    pub fn parse(name: &str) -> Option<Self> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Debug)]
pub struct ObjectDef {
    pub name: &'static str,
    pub key_prefix: &'static str,
    pub fields: &'static [FieldDef],
}

impl ObjectDef {
    /// The column named `name` (case-insensitive, as in SOQL), system fields included.
    pub fn column(&self, name: &str) -> Option<Column> {
        if let Some(system) = SystemField::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
        {
            return Some(Column::System(system));
        }
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
            .map(Column::Own)
    }

    pub fn column_name(&self, column: Column) -> &'static str {
        match column {
            Column::System(f) => f.name(),
            Column::Own(i) => self.fields[i].name,
        }
    }

    pub fn column_type(&self, column: Column) -> FieldType {
        match column {
            Column::System(f) => f.kind(),
            Column::Own(i) => self.fields[i].kind,
        }
    }

    /// The object's external-id field, if it has one.
    pub fn external_id(&self) -> Option<usize> {
        self.fields.iter().position(|f| f.external_id)
    }
}

/// In [`ObjectKind`] order.
static OBJECTS: [ObjectDef; 7] = [
    ObjectDef {
        name: "StnryAssetEnvrSrc",
        key_prefix: "0t1",
        fields: &[
            required("Name", FieldType::String),
            field("City", FieldType::String),
            field("Country", FieldType::Picklist),
            field("BusinessRegion", FieldType::Picklist),
        ],
    },
    ObjectDef {
        name: "StnryAssetCrbnFtprnt",
        key_prefix: "0t2",
        fields: &[
            required("Name", FieldType::String),
            field("StnryAssetEnvrSrcId", FieldType::Reference),
            field("StartDate", FieldType::Date),
            field("EndDate", FieldType::Date),
            field("ReportingYear", FieldType::Picklist),
            field("AuditApprovalStatus", FieldType::Picklist),
            field("TotEnergyConsumptionInKwh", DOUBLE_2),
            field("TotScope1EmissionsInTco2e", DOUBLE_2),
            field("TotScope2LocBasedEmissions", DOUBLE_2),
            field("TotScope2MktBasedEmissions", DOUBLE_2),
        ],
    },
    ObjectDef {
        name: "VehicleAssetEmssnSrc",
        key_prefix: "0t3",
        fields: &[required("Name", FieldType::String)],
    },
    ObjectDef {
        name: "VehicleAssetCrbnFtprnt",
        key_prefix: "0t4",
        fields: &[
            required("Name", FieldType::String),
            field("VehicleAssetEmssnSrcId", FieldType::Reference),
            field("StartDate", FieldType::Date),
            field("EndDate", FieldType::Date),
            field("ReportingYear", FieldType::Picklist),
            field("AuditApprovalStatus", FieldType::Picklist),
            field("TotFuelCnsmpInLiters", DOUBLE_2),
            field("TotScope1EmissionsInTco2e", DOUBLE_2),
        ],
    },
    ObjectDef {
        name: "Scope3CrbnFtprnt",
        key_prefix: "0t5",
        fields: &[
            required("Name", FieldType::String),
            field("StartDate", FieldType::Date),
            field("EndDate", FieldType::Date),
            field("ReportingYear", FieldType::Picklist),
            field("AuditApprovalStatus", FieldType::Picklist),
            field("Scp3EmssnPurchGoodsService", DOUBLE_5),
            field("Scp3EmssnUpstrmTrnspDistr", DOUBLE_5),
            field("TotalScp3EmssnBusTrvl", DOUBLE_5),
            field("TotScope3EmissionsInTco2e", DOUBLE_5),
        ],
    },
    ObjectDef {
        name: "Scope3PcmtSummary",
        key_prefix: "0t6",
        fields: &[
            required("Name", FieldType::String),
            FieldDef {
                name: "CarbonSync_Key__c",
                kind: FieldType::String,
                required: false,
                external_id: true,
            },
            field("CalendarYear", FieldType::Picklist),
            field("CurrencyCode", FieldType::Picklist),
            field("Description", FieldType::Textarea),
            field("CarbonFootprintReportDate", FieldType::Date),
            field("IsComplete", FieldType::Boolean),
            field("TotalSpentAmount", DOUBLE_5),
            field("Scp3EmssnPurchGoodsService", DOUBLE_5),
            field("Scp3EmssnCapitalGood", DOUBLE_5),
            field("Scp3EmssnBusinessTravel", DOUBLE_5),
            field("Scp3EmssnUpstrmTrnspDistr", DOUBLE_5),
            field("Scp3EmssnFuelEnergyActivity", DOUBLE_5),
            field("Scp3WasteGenInOper", DOUBLE_5),
            field("ScpEmssnEmployeeCommuting", DOUBLE_5),
            field("Scp3UncatgEmissions", DOUBLE_5),
            field("TotalScp3Emissions", DOUBLE_5),
        ],
    },
    // `Organization` (Object Reference): `00D` is Salesforce's own key prefix for org ids.
    ObjectDef {
        name: "Organization",
        key_prefix: "00D",
        fields: &[required("Name", FieldType::String)],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_sit_at_their_index_and_resolve_names_case_insensitively() {
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::parse(kind.def().name), Some(kind));
        }
        assert_eq!(
            ObjectKind::parse("stnryassetcrbnftprnt"),
            Some(ObjectKind::StnryAssetCrbnFtprnt)
        );
        let def = ObjectKind::StnryAssetCrbnFtprnt.def();
        assert_eq!(
            def.column("systemmodstamp"),
            Some(Column::System(SystemField::SystemModstamp))
        );
        let own = def.column("TOTSCOPE1EMISSIONSINTCO2E").unwrap();
        assert_eq!(def.column_name(own), "TotScope1EmissionsInTco2e");
        assert_eq!(def.column("Foo"), None);
        assert_eq!(
            ObjectKind::Scope3PcmtSummary
                .def()
                .external_id()
                .map(|i| ObjectKind::Scope3PcmtSummary.def().fields[i].name),
            Some("CarbonSync_Key__c")
        );
    }
}
