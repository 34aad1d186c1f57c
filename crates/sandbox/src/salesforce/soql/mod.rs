//! SOQL, the subset a replicating client needs: read (`lex.rs`, `parse.rs`), resolved against
//! the org's objects and run (`plan.rs`). Errors come back as Salesforce words them: the
//! offending line of the query, a caret under the spot, its row and column, then the reason.

mod lex;
mod parse;
mod plan;

pub use plan::{Hidden, Plan};

use super::errors::ApiError;
use lex::Pos;

/// Salesforce's layout of a query error:
///
/// ```text
///
/// SELECT Id, Foo FROM StnryAssetCrbnFtprnt
///            ^
/// ERROR at Row:1:Column:12
/// No such column 'Foo' on entity 'StnryAssetCrbnFtprnt'. …
/// ```
fn pointed(source: &str, at: Pos, reason: &str) -> String {
    let line = source.lines().nth(at.row.saturating_sub(1)).unwrap_or("");
    let caret = " ".repeat(at.col.saturating_sub(1));
    format!(
        "\n{line}\n{caret}^\nERROR at Row:{}:Column:{}\n{reason}",
        at.row, at.col
    )
}

/// Reads and resolves `source`, with the fields in `hidden` unreadable; a query that does not
/// read is `MALFORMED_QUERY`.
pub fn plan(source: &str, hidden: &Hidden) -> Result<Plan, ApiError> {
    let query = parse::parse(source)
        .map_err(|e| ApiError::bad_request("MALFORMED_QUERY", pointed(source, e.at, &e.message)))?;
    plan::bind(&query, hidden)
        .map_err(|e| ApiError::bad_request(e.code, pointed(source, e.at, &e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_at_the_spot() {
        let err = plan("SELECT Id, Foo FROM StnryAssetCrbnFtprnt", &Hidden::new()).unwrap_err();
        assert_eq!(err.code, "INVALID_FIELD");
        assert!(err.message.starts_with(
            "\nSELECT Id, Foo FROM StnryAssetCrbnFtprnt\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo'"
        ));
        let err = plan("SELECT Id\nFROM", &Hidden::new()).unwrap_err();
        assert_eq!(err.code, "MALFORMED_QUERY");
        assert!(err
            .message
            .contains("ERROR at Row:2:Column:5\nunexpected token: <EOF>"));
    }
}
