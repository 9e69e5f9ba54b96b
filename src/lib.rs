//! relsig: verify container image signatures in the "atomic container
//! signature" (simple signing) format.
//!
//! The pipeline, one module each: [`reference`] (docker references and
//! identity comparison), [`manifest`] and [`digest`] (what was signed),
//! [`payload`] (the signed JSON), [`keyring`] and [`pgp`] (trusted keys and
//! OpenPGP verification), and [`verify`] (the checks in skopeo's order).

pub mod digest;
pub mod identity;
pub mod inspect;
pub mod keyring;
pub mod manifest;
pub mod payload;
pub mod pgp;
pub mod policy;
pub mod reference;
pub mod verify;
