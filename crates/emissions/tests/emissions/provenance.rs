//! The embedded EPA file is the file the EPA published.

use carbonsync_emissions::builtin;
use sha2::{Digest, Sha256};

use crate::calculator;

/// As listed in the project's reference `SHA256SUMS` for the file as received.
const RECEIVED_SHA256: &str = "c7f508646ee091cb2218be65dec0e2bdb6143ba8511773d486c9e87f6df84177";

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first 64-digit hex string in the provenance note.
fn recorded_sha256() -> String {
    let note = include_str!("../../data/epa-useeio-v1.3/PROVENANCE.md");
    note.split(|c: char| !c.is_ascii_hexdigit())
        .find(|word| word.len() == 64)
        .expect("PROVENANCE.md records a SHA-256")
        .to_owned()
}

#[test]
fn embedded_factor_file_still_hashes_to_the_recorded_sha256() {
    assert_eq!(recorded_sha256(), RECEIVED_SHA256);
    assert_eq!(hex(builtin::FACTORS_CSV.as_bytes()), RECEIVED_SHA256);
    assert_eq!(calculator().factor_set().sha256, RECEIVED_SHA256);
}

#[test]
fn the_file_in_the_data_folder_is_the_file_the_program_embeds() {
    let on_disk = include_bytes!(
        "../../data/epa-useeio-v1.3/SupplyChainGHGEmissionFactors_v1.3.0_NAICS_CO2e_USD2022.csv"
    );
    assert_eq!(&on_disk[..], builtin::FACTORS_CSV.as_bytes());
}
