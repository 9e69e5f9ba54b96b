//! Host-name resolution for every HTTP request, in Rust rather than by
//! glibc's `getaddrinfo`, the way skopeo's Go resolver does it: `/etc/hosts`
//! first, then the name servers and search domains of `/etc/resolv.conf`.
//!
//! Why not `getaddrinfo`: the release build is a static-pie
//! (`.cargo/config.toml`), and a static glibc loads the NSS modules an
//! `nsswitch.conf` names beyond `files` and `dns` (`myhostname`,
//! `resolve`, …) from the system at run time; after a glibc upgrade those
//! belong to another glibc than the one linked in, which glibc does not
//! support.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::LookupIpStrategy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// The system's resolver configuration, read at the first lookup (a run
/// that reads only files never touches it). Unlike reqwest's own hickory
/// integration, a missing or unreadable `/etc/resolv.conf` is an error,
/// never a fall-back to a public name server: a disconnected cluster's
/// registry names must not leave the machine.
#[derive(Debug, Default, Clone)]
pub(crate) struct SystemResolver {
    resolver: Arc<OnceLock<Result<TokioResolver, String>>>,
}

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = Arc::clone(&self.resolver);
        Box::pin(async move {
            // Built inside the request's runtime, where hickory needs it.
            let resolver = resolver
                .get_or_init(system_resolver)
                .as_ref()
                .map_err(|e| e.clone())?;
            let found = resolver.lookup_ip(name.as_str()).await.map_err(|e| {
                // hickory's words for these quote the whole DNS query.
                if e.is_nx_domain() || e.is_no_records_found() {
                    format!("no address for {}", name.as_str())
                } else {
                    e.to_string()
                }
            })?;
            let addrs: Vec<SocketAddr> = found.iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn system_resolver() -> Result<TokioResolver, String> {
    let mut builder = TokioResolver::builder_tokio()
        .map_err(|e| format!("cannot read the resolver configuration (/etc/resolv.conf): {e}"))?;
    // Both families, IPv6 first, for reqwest's happy eyeballs (as
    // getaddrinfo orders them by default).
    builder.options_mut().ip_strategy = LookupIpStrategy::Ipv6AndIpv4;
    builder.build().map_err(|e| e.to_string())
}
