//! `--debug`: the library's `log` records (each HTTP request with its
//! method, URL, status, size and time; each decision about a signature,
//! an image or a policy requirement) written to stderr. The library never
//! prints; without `--debug` no logger is installed and the records cost
//! nothing.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // rustls, hyper and reqwest log too; only relsig's records are
        // meant for users.
        metadata.level() <= Level::Debug && metadata.target().starts_with("relsig")
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            errln!("relsig: debug: {}", record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: Stderr = Stderr;

/// Writes relsig's debug records to stderr from now on.
pub fn install() {
    // Only fails when a logger is already installed, which is then ours.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Debug);
}
