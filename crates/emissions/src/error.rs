/// Why a set of tables could not be loaded.
///
/// Each variant names the table (as a user would call it in settings) and, where it applies, the
/// line of the file, so the person who supplied the file can fix it.
#[derive(Debug, thiserror::Error)]
pub enum EmissionsError {
    /// The file is not readable CSV.
    #[error("{table}: not a readable CSV file: {source}")]
    Csv {
        table: &'static str,
        #[source]
        source: csv::Error,
    },
    /// A required column is missing from the header row.
    #[error("{table}: the header has no column `{column}` (expected columns: {expected})")]
    MissingColumn {
        table: &'static str,
        column: &'static str,
        expected: String,
    },
    /// One row holds a value that cannot be used.
    #[error("{table}, line {line}: {message}")]
    InvalidRow {
        table: &'static str,
        line: u64,
        message: String,
    },
    /// The table as a whole is unusable (for example, it lacks the 2022 price index).
    #[error("{table}: {message}")]
    InvalidTable {
        table: &'static str,
        message: String,
    },
    /// One platform's mapping table is unusable; `source` says where and why.
    #[error("{platform} {source}")]
    Mapping {
        /// The platform's name as people know it ("Xero").
        platform: String,
        #[source]
        source: Box<EmissionsError>,
    },
    /// The tables shipped inside the program failed to load: a defect in this build, not in
    /// anything the user did.
    #[error("the built-in emission tables failed to load (a defect in this build): {0}")]
    Builtin(String),
}
