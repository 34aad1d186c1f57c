//! Record ids that look like Xero's random v4 GUIDs yet need no storage: each is computed from
//! the record's sequence number and a per-stream key drawn from the seed. The last 32 bits are
//! a keyed bijection of the sequence number, so an id given to the control API can be turned
//! back into its record without an id → record map (which would cost tens of MB at 1M records).

use uuid::Uuid;

const M1: u32 = 0x7feb_352d;
const M2: u32 = 0x846c_a68b;

fn mul_inverse(a: u32) -> u32 {
    // Newton's iteration for the inverse of an odd number modulo 2^32.
    let mut x = a;
    for _ in 0..5 {
        x = x.wrapping_mul(2u32.wrapping_sub(a.wrapping_mul(x)));
    }
    x
}

fn permute(seq: u32, key: u32) -> u32 {
    let mut x = seq ^ key;
    x ^= x >> 16;
    x = x.wrapping_mul(M1);
    x ^= x >> 16;
    x = x.wrapping_mul(M2);
    x ^= x >> 16;
    x
}

fn unpermute(v: u32, key: u32) -> u32 {
    let mut x = v;
    x ^= x >> 16;
    x = x.wrapping_mul(mul_inverse(M2));
    x ^= x >> 16;
    x = x.wrapping_mul(mul_inverse(M1));
    x ^= x >> 16;
    x ^ key
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The id of the record with sequence number `seq` in the stream keyed by `key`.
pub fn record_id(key: u64, seq: u32) -> Uuid {
    let tail = permute(seq, key as u32);
    let hi = splitmix(key ^ u64::from(tail));
    let mid = splitmix(hi);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..12].copy_from_slice(&mid.to_be_bytes()[..4]);
    bytes[12..].copy_from_slice(&tail.to_be_bytes());
    // Version 4, RFC 4122 variant: the bits a client might check to call it a valid GUID.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// The sequence number an id was made from, if it was made by `record_id` with this key.
pub fn seq_of(key: u64, id: &Uuid) -> Option<u32> {
    let bytes = id.as_bytes();
    let tail = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let seq = unpermute(tail, key as u32);
    (record_id(key, seq) == *id).then_some(seq)
}

/// Line item ids hang off their record's id, so they are stable too.
pub fn line_id(record: &Uuid, index: usize) -> Uuid {
    Uuid::new_v5(record, &(index as u32).to_be_bytes())
}

/// Ids for named things (contacts, accounts) that stay put whatever the seed.
pub fn named_id(tenant: &Uuid, kind: &str, name: &str) -> Uuid {
    Uuid::new_v5(tenant, format!("{kind}:{name}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_turn_back_into_their_sequence_numbers() {
        let key = 0x1234_5678_9abc_def0;
        for seq in [0u32, 1, 2, 999_999, u32::MAX] {
            let id = record_id(key, seq);
            assert_eq!(id.get_version_num(), 4);
            assert_eq!(seq_of(key, &id), Some(seq));
        }
    }

    #[test]
    fn a_foreign_id_is_not_mistaken_for_a_record() {
        let id = Uuid::parse_str("f1a00000-0000-4000-8000-000000000001").unwrap();
        assert_eq!(seq_of(42, &id), None);
        assert_eq!(seq_of(42, &record_id(43, 7)), None);
    }
}
