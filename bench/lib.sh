# Sourced by the bench scripts. `cargo build --release` puts binaries in
# target/<host triple>/release, since .cargo/config.toml builds for an
# explicit target (the host's, for the static-pie build).
release=$here/target/$(rustc -vV | sed -n 's/^host: //p')/release
