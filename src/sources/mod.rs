//! Where manifests and signatures come from: the one HTTP client
//! ([`http`], with per-host CAs from [`certs_d`] and host names resolved
//! by `dns`), registries ([`registry`]), signature stores ([`stores`]:
//! the release mirror, lookasides, directories), sigstore attachments in
//! registries and OCI layouts ([`attachments`]), ConfigMaps
//! ([`configmap`]) and the OpenShift update graph ([`graph`]). Sources
//! fetch bytes; nothing here decides whether a signature is good.

pub mod attachments;
pub mod certs_d;
pub mod configmap;
mod dns;
pub mod graph;
pub mod http;
pub mod registry;
pub mod stores;
