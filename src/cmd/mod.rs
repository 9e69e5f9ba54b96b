//! The subcommands whose argument sets are large enough to live in their
//! own file. Each parses its arguments (clap derive), calls the library,
//! prints, and returns the exit code.

pub mod policy;
pub mod verify;
