//! relsig's integration tests, in one executable so that the suite links
//! sequoia, reqwest and the test helpers once. Each module tests one area
//! through the binary or the library; `common` runs the binary (bounded
//! and hermetic), starts the real registry and loopback servers, and
//! names the fixtures; `signing` makes keys and signatures at test time.
//!
//! One test runs alone, in its own executable, because it measures
//! process-wide state: `payload_bomb` (this process's peak memory).

mod common;
mod signing;

mod suite {
    mod cli_discover;
    mod cli_inputs;
    mod cli_pipelines;
    mod closed_pipes;
    mod containers_config;
    mod core_classes;
    mod differential;
    mod expected_tsv;
    mod generated_keys;
    mod hermetic;
    mod hostile_files;
    mod hostile_server;
    mod hostile_signatures;
    mod machineconfig_keys;
    mod policy_cli;
    mod policy_eval;
    mod policy_registry;
    mod proptest_no_panic;
    mod push_signatures;
    mod redhat;
    mod release;
    mod sigstore;
    mod sigstore_sources;
    mod verify_registry;
    mod verify_release;
}
