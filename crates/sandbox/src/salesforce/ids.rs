//! Salesforce record ids: 15 case-sensitive characters (a 3-character key prefix naming the
//! object, 2 for the server instance, 1 reserved, 9 base-62 digits numbering the record),
//! and the 18-character form the API returns, which appends a 3-character checksum of the
//! letters' case so that case-insensitive tools can still tell ids apart.

/// Base-62 digits in ASCII order, so zero-padded numbers sort as text in numeric order: an
/// object's ids sort in the order its records were created.
const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The alphabet of the case checksum: one character per 5-bit case mask.
const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
/// The server instance part of every id the sandbox makes (characters 4 and 5).
const INSTANCE: &str = "8d";

/// The key prefix of the Organization object (`00D`), used for the org id.
pub const ORG_PREFIX: &str = "00D";
/// The key prefix of the User object (`005`), used for the signed-in user's id.
pub const USER_PREFIX: &str = "005";
/// The key prefix of query locators (`01g`), as in Salesforce's
/// `nextRecordsUrl: /services/data/vXX.X/query/01gD0000002HU6KIAW-2000`.
pub const QUERY_LOCATOR_PREFIX: &str = "01g";

/// The 3-character checksum Salesforce appends to a 15-character id: for each 5-character
/// chunk, a bit per upper-case letter (first character lowest), looked up in
/// [`CHECKSUM_ALPHABET`].
fn checksum(id15: &[u8]) -> [u8; 3] {
    let mut out = [0u8; 3];
    for (chunk, slot) in id15.chunks(5).zip(out.iter_mut()) {
        let mask = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |mask, (i, _)| mask | (1 << i));
        *slot = CHECKSUM_ALPHABET[mask];
    }
    out
}

/// The 18-character id of record number `seq` of the object with key prefix `prefix`.
pub fn record_id(prefix: &str, seq: u64) -> String {
    let mut digits = [b'0'; 9];
    let mut n = seq;
    for slot in digits.iter_mut().rev() {
        *slot = DIGITS[(n % 62) as usize];
        n /= 62;
    }
    let mut id = String::with_capacity(18);
    id.push_str(prefix);
    id.push_str(INSTANCE);
    id.push('0');
    id.extend(digits.iter().map(|&d| char::from(d)));
    let suffix = checksum(id.as_bytes());
    id.extend(suffix.iter().map(|&c| char::from(c)));
    id
}

/// The 15-character, case-sensitive form of an id given in either form, or `None` when the
/// text is not an id (wrong length or characters, or an 18-character id whose checksum does
/// not match its case).
pub fn canonical(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    if !(bytes.len() == 15 || bytes.len() == 18) || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    if bytes.len() == 18 && !checksum(&bytes[..15]).eq_ignore_ascii_case(&bytes[15..]) {
        return None;
    }
    Some(&text[..15])
}

/// The org's id.
pub fn org_id() -> String {
    record_id(ORG_PREFIX, 1)
}

/// The id of the user the sandbox signs everyone in as.
pub fn user_id() -> String {
    record_id(USER_PREFIX, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_matches_a_known_id() {
        // An id from Salesforce's documentation: `a00D0000008pQRA` is `a00D0000008pQRAIA2`.
        assert_eq!(&checksum(b"a00D0000008pQRA"), b"IA2");
    }

    #[test]
    fn ids_are_18_characters_sorting_in_creation_order() {
        let first = record_id("0t2", 10);
        let later = record_id("0t2", 62);
        assert_eq!(first.len(), 18);
        assert!(first.starts_with("0t28d000000000A"), "{first}");
        assert!(first < later);
        assert_eq!(canonical(&first), Some(&first[..15]));
        assert_eq!(canonical(&first[..15]), Some(&first[..15]));
        assert_eq!(canonical(&first.to_lowercase()), None, "case matters");
        assert_eq!(canonical("not an id"), None);
    }
}
