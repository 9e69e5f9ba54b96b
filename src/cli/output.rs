//! Writing to stdout and stderr without panicking: `relsig … | head -1`
//! closes the pipe early, and relsig must then finish quietly with the
//! exit code it would have had. Every line the CLI prints goes through
//! `outln!` / `errln!`.

use relsig::status::Status;
use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// The reader of stdout has gone: drop further output.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Writing stdout failed for another reason (a full disk): the output is
/// incomplete, so the run could not be checked as asked.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; a closed pipe ends output, never the program.
pub fn stdout(args: fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe {
            STDOUT_FAILED.store(true, Ordering::Relaxed);
            stderr(format_args!("relsig: cannot write to stdout: {e}\n"));
        }
    }
}

/// Writes to stderr; a closed stderr is ignored.
pub fn stderr(args: fmt::Arguments<'_>) {
    if STDERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if std::io::stderr().lock().write_fmt(args).is_err() {
        STDERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `println!` that survives a closed stdout.
macro_rules! outln {
    () => { $crate::cli::output::stdout(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::output::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that survives a closed stdout.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::stdout(format_args!($($arg)*)) };
}

/// `eprintln!` that survives a closed stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints an error and its causes, sqv style: the error on the first line,
/// each cause on its own `because:` line, no cause twice.
pub fn print_error(e: &anyhow::Error) {
    errln!("relsig: {e}");
    let mut shown = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if shown.contains(&c) {
            continue;
        }
        errln!("  because: {c}");
        shown.push('\n');
        shown.push_str(&c);
    }
}

/// The process exit code for `status`; 2 when stdout could not be
/// written (other than by a reader that went away).
pub fn exit_code(status: Status) -> u8 {
    if STDOUT_FAILED.load(Ordering::Relaxed) {
        return Status::CouldNotCheck.exit_code();
    }
    status.exit_code()
}
