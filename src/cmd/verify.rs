//! `relsig verify` and `relsig fetch`: command-line arguments and output.

/// Arguments of `relsig verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {}

/// Arguments of `relsig fetch`.
#[derive(clap::Args, Debug)]
pub struct FetchArgs {}

pub fn run_verify(_args: VerifyArgs) -> anyhow::Result<u8> {
    anyhow::bail!("relsig verify is not implemented yet")
}

pub fn run_fetch(_args: FetchArgs) -> anyhow::Result<u8> {
    anyhow::bail!("relsig fetch is not implemented yet")
}
