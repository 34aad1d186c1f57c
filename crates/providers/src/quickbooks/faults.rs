//! QuickBooks' `Fault` error codes in words a finance person understands; the technical detail
//! (code, Intuit's message, `intuit_tid`) follows in brackets.
//!
//! Source: Intuit, "Error codes" for the Accounting API (developer.intuit.com, checked
//! 2026-12-01).

/// The sentence for an Intuit error code (without leading zeros), when there is one.
pub fn describe(code: &str) -> Option<&'static str> {
    Some(match code {
        "3200" => "QuickBooks did not accept CarbonSync's sign-in for this company (it expired or was revoked)",
        "3100" | "120" => {
            "QuickBooks refused access to this company: the person who connected it may no longer be an admin there, or the company's subscription has ended"
        }
        "5020" => "QuickBooks refused access: the connected user lacks permission for this data",
        "3001" | "3" => "QuickBooks asked for fewer requests for this company (at most 500 a minute and 10 at once)",
        "4000" | "4001" => "QuickBooks could not read CarbonSync's request (a query or date it does not accept)",
        "610" => "QuickBooks no longer has this object (it was deleted)",
        "10000" | "500" => "QuickBooks had an internal error; it usually passes",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_in_and_permission_faults_have_words() {
        assert!(super::describe("3200").unwrap().contains("sign-in"));
        assert!(super::describe("3100").unwrap().contains("admin"));
        assert_eq!(super::describe("999999"), None);
    }
}
