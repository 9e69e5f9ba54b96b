//! The signature-verification cache entries relsig preloads for Red Hat's
//! key files (`relsig::signature::openpgp::keyring::PRELOADED_SELF_SIGNATURES`) must be exactly
//! the entries sequoia computes when it verifies those files' self-
//! signatures itself. This file holds one test so that its process starts
//! with an empty cache (nothing preloaded, nothing verified yet).

use openpgp::cert::CertParser;
use openpgp::packet::signature::cache::SignatureVerificationCache;
use openpgp::parse::Parse;
use relsig::signature::openpgp::policy::policy;
use sequoia_openpgp as openpgp;
use std::collections::BTreeSet;
use std::path::Path;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn preloaded_entries_are_those_of_red_hat_key_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/redhat-keys");
    let p = policy();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("LICENSE")
        })
        .collect();
    files.sort();
    for f in &files {
        // Parse without relsig's keyring (which would preload the cache),
        // then let sequoia verify every self-signature.
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let blocks: Vec<Vec<u8>> = if text.contains("-----BEGIN PGP") {
            text.split("-----BEGIN PGP")
                .skip(1)
                .map(|b| format!("-----BEGIN PGP{b}").into_bytes())
                .collect()
        } else {
            vec![bytes.clone()]
        };
        for block in blocks {
            for cert in CertParser::from_bytes(&block).unwrap() {
                let cert = cert.unwrap();
                let _ = cert.with_policy(&p, None).map(|vc| {
                    for ka in vc.keys() {
                        let _ = ka.alive();
                    }
                });
            }
        }
    }
    let computed: BTreeSet<String> = SignatureVerificationCache::dump()
        .into_iter()
        .filter(|e| e.inserted())
        .map(|e| hex(e.value()))
        .collect();
    let embedded: BTreeSet<String> = relsig::signature::openpgp::keyring::PRELOADED_SELF_SIGNATURES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(!computed.is_empty(), "sequoia verified no self-signature");
    assert_eq!(
        embedded,
        computed,
        "regenerate PRELOADED_SELF_SIGNATURES in src/keyring.rs from this list:\n{}",
        computed
            .iter()
            .map(|s| format!("    \"{s}\","))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
