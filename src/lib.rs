//! relsig: verify container image signatures in the "atomic container
//! signature" (simple signing) format.
//!
//! The pipeline, one module each: [`reference`] (docker references and
//! identity comparison), [`manifest`] and [`digest`] (what was signed),
//! [`payload`] (the signed JSON), [`keyring`] and [`pgp`] (trusted keys and
//! OpenPGP verification), and [`verify`] (the checks in skopeo's order).
//!
//! Fetching, for `relsig verify`/`fetch`: [`http`] (the one HTTP client),
//! [`registry`] (manifests from registries), [`stores`] and [`configmap`]
//! (where signatures live), [`release`] (version → digest through the
//! update graph) and [`check`] (images verified end to end). Every input
//! is read through [`bounded`].

pub mod bounded;
pub mod check;
pub mod configmap;
pub mod digest;
pub mod http;
pub mod identity;
pub mod inspect;
pub mod keyring;
pub mod manifest;
pub mod payload;
pub mod pgp;
pub mod policy;
pub mod reference;
pub mod registry;
pub mod release;
pub mod stores;
pub mod verify;
