//! Links release builds of relsig's binaries with the functions the common
//! commands run placed first and side by side (`build/relsig.order`,
//! written by `scripts/symbol-order`): a verification then maps its code
//! with fewer page faults (README: "Release profile and linking"). Only
//! where rustc links with its own lld (x86_64 Linux with glibc, the
//! default since Rust 1.90), the one linker here that reads such a file;
//! names it does not find are skipped, so a stale file costs speed, never
//! correctness.
use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build/relsig.order");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let lld = var("TARGET") == "x86_64-unknown-linux-gnu"
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("linker-features=-lld");
    if lld && var("PROFILE") == "release" {
        let order = format!("{}/build/relsig.order", var("CARGO_MANIFEST_DIR"));
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
