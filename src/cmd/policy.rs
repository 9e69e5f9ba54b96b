//! `relsig policy …`: command-line arguments and output.

/// Arguments of `relsig policy`.
#[derive(clap::Args, Debug)]
pub struct PolicyArgs {}

pub fn run(_args: PolicyArgs) -> anyhow::Result<u8> {
    anyhow::bail!("relsig policy is not implemented yet")
}
