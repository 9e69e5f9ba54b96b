//! The `relsig` command: parses the command line, runs the subcommand and
//! maps its one [`Status`] to the exit code (0 verified, 1 rejected, 2
//! could not check).

mod cli;

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let status = match cli::Cli::try_parse_from(&argv) {
        Ok(args) => cli::run(args),
        Err(e) => cli::usage_error(e, &argv),
    };
    ExitCode::from(cli::output::exit_code(status))
}
