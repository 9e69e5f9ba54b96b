//! The `relsig` command: parses the command line, runs the subcommand and
//! maps its one [`Status`] to the exit code (0 verified, 1 rejected, 2
//! could not check).

mod cli;

use clap::Parser as _;
use relsig::status::Status;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let status = match cli::run(args) {
        Ok(status) => status,
        Err(e) => {
            cli::output::print_error(&e);
            Status::CouldNotCheck
        }
    };
    ExitCode::from(cli::output::exit_code(status))
}
