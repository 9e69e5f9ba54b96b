//! relsig: verify container image signatures in the "atomic container
//! signature" (simple signing) format, and sigstore (cosign) signatures.
//!
//! The pipeline, one folder a stage; each stage uses only the ones above
//! it in this list:
//!
//! - [`io`]: bounded reads (regular files only), atomic writes, the
//!   YAML/JSON nesting check and every size limit.
//! - [`status`]: the one outcome vocabulary (verified, rejected, could not
//!   check) and its exit codes.
//! - [`image`]: what was signed: [`image::reference`] (docker references),
//!   [`image::digest`] and [`image::manifest`].
//! - [`signature`]: one signature, checked in skopeo's order
//!   ([`signature::check`]): a *mechanism* turns the signature blob and the
//!   trusted keys into "this payload, signed by this key"
//!   ([`signature::openpgp`], where a signature's cryptography is
//!   checked, or [`signature::sigstore`], chosen per blob by
//!   [`signature::Kind::of`]); then the payload rules ([`signature::payload`]), the
//!   manifest digest, and the signed identity ([`signature::identity`],
//!   where the signed identity is compared). [`signature::inspect`]
//!   describes a signature without verifying it.
//! - [`sources`]: where manifests and signatures come from:
//!   [`sources::http`] (the one HTTP client, with [`sources::certs_d`]'s
//!   per-host CAs), [`sources::registry`],
//!   [`sources::stores`] (release mirror, lookaside, directory),
//!   [`sources::attachments`] (sigstore signatures: a registry's `.sig`
//!   tag, OCI layouts),
//!   [`sources::configmap`] and [`sources::graph`] (release version →
//!   digest through the update graph).
//! - [`config`]: the containers configuration users already have:
//!   [`config::registries_d`] (lookasides), [`config::registries_conf`]
//!   (mirrors, insecure and blocked registries),
//!   [`config::signature_sources`] (which sources apply to an image when
//!   none is given) and the [`config::Diagnostic`] of a configuration file.
//! - [`verify`]: images verified end to end (`relsig verify`/`fetch`):
//!   what was asked ([`verify::ImageRequest`]), the [`verify::Checker`],
//!   and each image's [`verify::ImageOutcome`].
//! - [`policy`]: the node trust policy: [`policy::config`] (policy.json),
//!   [`policy::evidence`] (manifest and signatures gathered as
//!   containers/image gathers them), [`policy::eval`] (the decision CRI-O
//!   would make), [`policy::lint`], [`policy::node_keys`] (the key files a
//!   policy names, and RHCOS's), [`policy::sigstore`] (a
//!   `sigstoreSigned`'s keys and roots, loaded), [`policy::render`] (MachineConfig,
//!   Butane) and [`policy::init`] (Red Hat's starting files).
//! - [`release`]: OpenShift releases component by component (`relsig
//!   release`): the release image's last layer ([`release::layer`]), its
//!   `image-references` and `release-metadata` ([`release::metadata`]),
//!   mirror mappings ([`release::mirrors`]) and the mirror audit
//!   ([`release::audit`]).

pub mod config;
pub mod image;
pub mod io;
pub mod policy;
pub mod release;
pub mod signature;
pub mod sources;
pub mod status;
pub mod verify;
