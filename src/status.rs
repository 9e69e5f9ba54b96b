//! The one outcome vocabulary of every command, and its exit codes.

use serde::Serialize;

/// What became of a check: of one signature, one image, one policy
/// decision, or a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Verified, accepted, or the command succeeded (exit 0).
    Verified,
    /// Checked and found wanting: no acceptable signature, a mismatch, a
    /// rejection, missing from the mirror (exit 1).
    Rejected,
    /// Could not be checked: usage, I/O, network, malformed configuration,
    /// unsupported algorithm (exit 2).
    CouldNotCheck,
}

impl Status {
    /// 0 verified, 1 rejected, 2 could not check.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Verified => 0,
            Status::Rejected => 1,
            Status::CouldNotCheck => 2,
        }
    }

    /// The status of several checks together: a rejection outranks a
    /// failure to check (it is a definite answer), which outranks success.
    pub fn combine(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses
            .into_iter()
            .fold(Status::Verified, |acc, s| match (acc, s) {
                (Status::Rejected, _) | (_, Status::Rejected) => Status::Rejected,
                (Status::CouldNotCheck, _) | (_, Status::CouldNotCheck) => Status::CouldNotCheck,
                _ => Status::Verified,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_outranks_a_failure_to_check() {
        use Status::*;
        assert_eq!(Status::combine([]), Verified);
        assert_eq!(Status::combine([Verified, CouldNotCheck]), CouldNotCheck);
        assert_eq!(
            Status::combine([CouldNotCheck, Rejected, Verified]),
            Rejected
        );
        assert_eq!(Status::combine([Rejected]).exit_code(), 1);
        assert_eq!(CouldNotCheck.exit_code(), 2);
    }
}
