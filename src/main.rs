//! The `relsig` command: parses the command line, runs the subcommand and
//! maps its one [`Status`] to the exit code (0 verified, 1 rejected, 2
//! could not check).

// On Linux with glibc, relsig starts at the C `main`; see src/start.rs.
// (Not the unit tests: their harness has a `main` of its own.)
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

mod cli;
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
mod start;

use clap::Parser as _;

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start::set_up();
    let code = run();
    start::tear_down();
    code.into()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}

/// The command, from the arguments to the exit code.
fn run() -> u8 {
    return_large_blocks_to_the_system();
    tune_libraries();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let status = match cli::Cli::try_parse_from(&argv) {
        Ok(args) => cli::run(args),
        Err(e) => cli::usage_error(e, &argv),
    };
    cli::output::exit_code(status)
}

/// glibc serves blocks above a threshold from their own mappings, but
/// raises the threshold to the size of every such block freed, after
/// which blocks of a few MiB (hostile signatures, manifests) stay in each
/// thread's arena once freed: peak memory would grow with the number of
/// jobs. A fixed threshold keeps every large block returned when freed.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc tunable; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Two library settings only read from the environment, set here unless
/// the user set them:
/// - sequoia's readers allocate (and zero) 32 KiB plus what is asked for
///   every time they fill their buffer; a signature is a few KiB, and 16
///   such buffers were a fifth of a verification's instructions. Larger
///   reads still get what they ask for.
/// - errors inside sequoia are anyhow errors, which capture a backtrace
///   when `RUST_BACKTRACE` is set (about 14 % of a verification's
///   instructions); relsig never shows them. Panics still honour
///   `RUST_BACKTRACE`.
fn tune_libraries() {
    for (name, value) in [
        ("SEQUOIA_BUFFERED_READER_BUFFER", "4096"),
        ("RUST_LIB_BACKTRACE", "0"),
    ] {
        if std::env::var_os(name).is_none() {
            // SAFETY: no other thread exists yet, so none reads the
            // environment while it changes.
            unsafe { std::env::set_var(name, value) };
        }
    }
}
