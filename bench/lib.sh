# Sourced by the bench scripts. `cargo build --release` puts binaries in
# target/<host triple>/release, since .cargo/config.toml builds for an
# explicit target (the host's, for the static-pie build).
release=$here/target/$(rustc -vV | sed -n 's/^host: //p')/release

# Builds the release relsig binary, then the examples named, in two cargo
# runs: examples pull in dev-dependencies, whose features would change the
# binary's symbol names if built together, and build/relsig.order (the
# linker's function order, see scripts/symbol-order) names the symbols of
# the binary `cargo build --release` and `cargo install` make.
build_release() {
    cargo build --release --quiet --bin relsig
    local example
    for example in "$@"; do
        cargo build --release --quiet --example "$example"
    done
}
