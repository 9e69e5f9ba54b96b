//! Process start-up without Rust's runtime set-up, on Linux with glibc.
//!
//! Before `main`, std polls the standard descriptors, ignores SIGPIPE,
//! reads `/proc/self/maps` (through `pthread_getattr_np`) and maps an
//! alternate signal stack, only to print "has overflowed its stack"
//! should the main thread ever do so. That is about 5 % of one
//! verification's CPU. relsig starts at the C `main` instead
//! (`#![no_main]`) and does here the part of that set-up it relies on.
//! What it gives up: the stack-overflow message (the process still dies,
//! by SIGSEGV instead of SIGABRT), and a panic on the main thread names
//! it `<unnamed>` instead of `main`. std still collects the arguments
//! (glibc hands them to its `.init_array` hook), so `std::env::args_os`
//! works unchanged.

use std::io::Write as _;

/// What std does before `main` and relsig relies on.
pub fn set_up() {
    open_closed_standard_descriptors();
    // SAFETY: sets a signal disposition; no handler runs Rust code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// What std does after `main` returns: stdout's buffer is written out.
/// relsig's own writes flush as they go; clap's help may not.
pub fn tear_down() {
    let _ = std::io::stdout().flush();
}

/// A standard descriptor the parent left closed would be taken by the next
/// descriptor relsig opens (a file, a socket, the HTTP client's epoll
/// instance), and a report would then be written into it: each closed one
/// is opened on `/dev/null`, as std does.
fn open_closed_standard_descriptors() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd for the call's length.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) } != -1;
    for pollfd in fds {
        let closed = if polled {
            pollfd.revents & libc::POLLNVAL != 0
        } else {
            // SAFETY: F_GETFD only reads the descriptor's flags.
            unsafe { libc::fcntl(pollfd.fd, libc::F_GETFD) == -1 }
        };
        // SAFETY: opens a constant, NUL-terminated path. Descriptors are
        // allocated lowest first, so this one takes the closed number.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
            // As std: better no start than a report written into a file.
            std::process::abort();
        }
    }
}
