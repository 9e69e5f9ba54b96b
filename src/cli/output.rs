//! Writing to stdout and stderr without panicking: `relsig … | head -1`
//! closes the pipe early, and relsig must then finish quietly with the
//! exit code it would have had. Every line the CLI prints goes through
//! `outln!` / `errln!`. Also the run-wide switches that change what is
//! printed (`--quiet`), and how an error is printed.

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
/// Something was written to stdout: an error document would no longer be
/// the only document there.
static STDOUT_USED: AtomicBool = AtomicBool::new(false);
/// `--quiet`: print only what went wrong.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Sets `--quiet` for the run.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given: no verified lines, summaries or progress.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether anything has been written to stdout yet.
pub fn stdout_used() -> bool {
    STDOUT_USED.load(Ordering::Relaxed)
}

/// Writes to stdout; a closed pipe ends output, never the program.
pub fn stdout(args: fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    STDOUT_USED.store(true, Ordering::Relaxed);
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
/// each further cause on its own `because:` line, no cause twice.
pub fn print_error(e: &anyhow::Error) {
    let lines = error_lines(e);
    errln!("relsig: {}", lines[0]);
    for cause in &lines[1..] {
        errln!("  because: {cause}");
    }
}

/// The error on one line, as error documents carry it.
pub fn error_line(e: &anyhow::Error) -> String {
    error_lines(e).join(": ")
}

/// The messages to print for `e`: a context that only names what failed
/// (`--digest`, a file name) shares the first line with its cause, since
/// alone it says nothing; a cause whose text was already shown, in either
/// direction of containment, is left out.
fn error_lines(e: &anyhow::Error) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for cause in e.chain() {
        let c = cause.to_string().trim().replace('\n', " ");
        if c.is_empty() || lines.iter().any(|l| l.contains(&c)) {
            continue;
        }
        let only_one = lines.len() == 1;
        match lines.last_mut() {
            Some(last) if only_one && !last.contains(' ') => {
                *last = format!("{last}: {c}");
            }
            // The cause repeats this line and adds to it: show it instead.
            Some(last) if c.contains(last.as_str()) => *last = c,
            _ => lines.push(c),
        }
    }
    if lines.is_empty() {
        lines.push("unknown error".into());
    }
    lines
}

/// The process exit code for `status`; 2 when stdout could not be
/// written (other than by a reader that went away).
pub fn exit_code(status: Status) -> u8 {
    if STDOUT_FAILED.load(Ordering::Relaxed) {
        return Status::CouldNotCheck.exit_code();
    }
    status.exit_code()
}
