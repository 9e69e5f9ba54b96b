//! Checks of policy.json and registries.d before they reach a node: every
//! defect containers/image would fail on (or silently ignore), located by
//! JSON path or file and line, and warnings on setups that work but are
//! risky.

use super::config::{KNOWN_TRANSPORTS, KeyType, Keys, Policy, Requirement, Rule};
use super::node_keys::{self, KeyFile, all_requirements};
use crate::config::registries_d::{BUILTIN_DEFAULT_LOOKASIDE, RegistriesD};
use crate::config::{Diagnostic, member_path};
use crate::image::reference::{Reference, is_valid_domain};
use crate::signature::openpgp::keyring::Keyring;
use crate::status::Status;
use serde::Serialize;
use std::path::Path;
use std::time::SystemTime;

/// What to lint.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions<'a> {
    pub policy: &'a Path,
    /// Without it, only policy.json is checked.
    pub registries_d: Option<&'a Path>,
    /// Read absolute key paths under this directory.
    pub root: Option<&'a Path>,
    /// When keys are judged (expiry, revocation).
    pub at: SystemTime,
}

/// Every finding, errors first.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    /// Usable (warnings allowed), or a configuration that cannot be
    /// used (could not check: exit 2).
    pub fn status(&self) -> Status {
        if self.errors > 0 {
            Status::CouldNotCheck
        } else {
            Status::Verified
        }
    }
}

/// Lints the files named in `opts`.
pub fn lint(opts: &LintOptions<'_>) -> LintReport {
    let file = opts.policy.display().to_string();
    let mut out = Vec::new();
    match crate::io::read_bounded(opts.policy, "policy", crate::io::MAX_POLICY_SIZE) {
        Err(e) => out.push(Diagnostic::error(&file, None, crate::io::error_chain(&e))),
        Ok(bytes) => {
            let (policy, errors) = Policy::parse_all(&bytes, &file);
            out.extend(errors);
            lint_policy(&policy, &file, opts, &mut out);
            if let Some(dir) = opts.registries_d {
                let (registries, problems) = RegistriesD::load_all(dir);
                out.extend(problems);
                lint_lookasides(&policy, &registries, &file, &mut out);
            }
        }
    }
    // Errors first, then warnings, then notes; file order within each.
    out.sort_by_key(|d| d.severity);
    LintReport {
        errors: out.iter().filter(|d| d.is_error()).count(),
        warnings: out
            .iter()
            .filter(|d| d.severity == crate::config::Severity::Warning)
            .count(),
        diagnostics: out,
    }
}

fn lint_policy(policy: &Policy, file: &str, opts: &LintOptions<'_>, out: &mut Vec<Diagnostic>) {
    for name in policy.transports.keys() {
        if !KNOWN_TRANSPORTS.contains(&name.as_str()) {
            out.push(Diagnostic::warning(
                file,
                Some(member_path("transports", name)),
                format!(
                    "unknown transport {name:?} is never used; known transports: {}",
                    KNOWN_TRANSPORTS.join(", ")
                ),
            ));
        }
    }
    for (scope, _) in policy.docker_scopes() {
        if let Some(problem) = docker_scope_problem(scope) {
            out.push(Diagnostic::error(
                file,
                Some(member_path("transports.docker", scope)),
                problem,
            ));
        }
    }
    for req in all_requirements(policy) {
        lint_requirement(req, file, opts, out);
    }
    // Once per key file, not per requirement naming it.
    for path in node_keys::key_paths(policy) {
        if let Some(note) = KeyFile::locate(&path, opts.root).builtin_note() {
            out.push(Diagnostic::note(file, None, note));
        }
    }
    lint_insecure_default(policy, file, out);
}

fn lint_requirement(
    req: &Requirement,
    file: &str,
    opts: &LintOptions<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let warn = |out: &mut Vec<Diagnostic>, path: String, m: String| {
        out.push(Diagnostic::warning(file, Some(path), m));
    };
    let sb = match &req.rule {
        Rule::SignedBy(sb) => sb,
        Rule::SigstoreSigned(ss) => {
            for p in ss.paths() {
                if !p.starts_with('/') {
                    warn(
                        out,
                        req.path.clone(),
                        format!(
                            "{p:?} is relative: it is read from the working directory of whatever pulls (CRI-O, podman); use an absolute path"
                        ),
                    );
                }
            }
            if let Err(e) = super::sigstore::load(ss, opts.root) {
                let at = format!("{}.{}", req.path, e.member());
                let hint = if opts.root.is_none()
                    && matches!(e, super::sigstore::TrustError::Read { .. })
                {
                    " (--root DIR reads it under a copy of the node's files)"
                } else {
                    ""
                };
                // The path names the member; the message need not repeat it.
                let chain = crate::io::error_chain(&e);
                let prefix = format!("{}: ", e.member());
                let message = chain.strip_prefix(&prefix).unwrap_or(&chain);
                out.push(Diagnostic::error(
                    file,
                    Some(at),
                    format!("{message}{hint}"),
                ));
            }
            return;
        }
        Rule::SignedBaseLayer => {
            return warn(
                out,
                req.path.clone(),
                "signedBaseLayer is not implemented by containers/image: every image under it is rejected".into(),
            );
        }
        Rule::InsecureAcceptAnything | Rule::Reject => return,
    };
    if sb.key_type != KeyType::GpgKeys {
        warn(
            out,
            member_path(&req.path, "keyType"),
            format!(
                "keyType {} is not implemented by containers/image: every image under this requirement is rejected (use GPGKeys)",
                sb.key_type.as_str()
            ),
        );
        return;
    }
    match &sb.keys {
        Keys::Data(bytes) => {
            let mut k = Keyring::default();
            let at = member_path(&req.path, "keyData");
            match k.add_bytes("keyData", bytes) {
                Ok(()) => lint_signing_capable(&k, "keyData", file, at, opts.at, out),
                Err(e) => out.push(Diagnostic::error(file, Some(at), e.to_string())),
            }
        }
        keys => {
            let single = matches!(keys, Keys::Path(_));
            for (i, p) in keys.paths().into_iter().enumerate() {
                let at = if single {
                    member_path(&req.path, "keyPath")
                } else {
                    format!("{}[{i}]", member_path(&req.path, "keyPaths"))
                };
                if !p.starts_with('/') {
                    warn(
                        out,
                        at.clone(),
                        format!(
                            "{p:?} is relative: it is read from the working directory of whatever pulls (CRI-O, podman); use an absolute path"
                        ),
                    );
                }
                let key = KeyFile::locate(p, opts.root);
                let mut k = Keyring::default();
                match key.load_into(&mut k) {
                    Ok(()) => lint_signing_capable(&k, &key.shown(), file, at, opts.at, out),
                    Err(e) => {
                        let hint = if opts.root.is_none() && p.starts_with('/') {
                            " (--root DIR reads it under a copy of the node's files)"
                        } else {
                            ""
                        };
                        let e = crate::io::error_chain(&e);
                        out.push(Diagnostic::error(file, Some(at), format!("{e}{hint}")));
                    }
                }
            }
        }
    }
}

/// Warns when no certificate of `keyring` has a key that may make
/// signatures now: every signature would be rejected.
fn lint_signing_capable(
    keyring: &Keyring,
    name: &str,
    file: &str,
    at: String,
    when: SystemTime,
    out: &mut Vec<Diagnostic>,
) {
    let policy = crate::signature::openpgp::policy::policy();
    let capable = keyring.certs().any(|cert| {
        cert.with_policy(&policy, when).is_ok_and(|vc| {
            vc.keys()
                .for_signing()
                .alive()
                .revoked(false)
                .next()
                .is_some()
        })
    });
    if !capable {
        out.push(Diagnostic::warning(
            file,
            Some(at),
            format!("{name} holds no valid signing-capable key (expired, revoked or encryption-only): every signature will be rejected"),
        ));
    }
}

/// Why a docker scope can never match an image, if it cannot: scopes are
/// compared as strings with fully-qualified, normalised names.
fn docker_scope_problem(scope: &str) -> Option<String> {
    if scope.is_empty() {
        return None;
    }
    if let Some(domain) = scope.strip_prefix("*.") {
        let ok = !domain.contains(':') && !domain.contains('/') && is_valid_domain(domain);
        return (!ok).then(|| {
            "never matches: a wildcard scope is \"*.\" followed by a domain without port or path, such as *.example.com".into()
        });
    }
    if !scope.contains('/') {
        return (!is_valid_domain(scope))
            .then(|| "never matches: not a registry host[:port], repository or image".into());
    }
    match Reference::parse(scope) {
        Err(e) => Some(format!("never matches: {e}")),
        Ok(r) => {
            let canonical = if r.is_name_only() {
                Some(r.repository())
            } else {
                r.policy_identity()
            };
            match canonical {
                Some(c) if c == scope => None,
                Some(c) => Some(format!(
                    "never matches: scopes are compared with fully-qualified names; did you mean {c:?}?"
                )),
                None => Some("never matches: an image has a tag or a digest, not both".into()),
            }
        }
    }
}

fn lint_insecure_default(policy: &Policy, file: &str, out: &mut Vec<Diagnostic>) {
    let signed: Vec<&str> = policy
        .docker_scopes()
        .filter(|(s, reqs)| {
            !s.is_empty() && reqs.iter().any(|r| matches!(r.rule, Rule::SignedBy(_)))
        })
        .map(|(s, _)| s.as_str())
        .collect();
    if signed.is_empty() {
        return;
    }
    let insecure = |reqs: &[Requirement]| {
        reqs.iter().all(|r| r.rule == Rule::InsecureAcceptAnything) && !reqs.is_empty()
    };
    let docker_default = policy.transports.get("docker").and_then(|s| s.get(""));
    let (path, applies) = match docker_default {
        Some(reqs) => (r#"transports.docker[""]"#, insecure(reqs)),
        None => ("default", insecure(&policy.default)),
    };
    if applies {
        out.push(Diagnostic::warning(
            file,
            Some(path.into()),
            format!(
                "insecureAcceptAnything: images from any registry other than {} are pulled without any signature check",
                signed.join(", ")
            ),
        ));
    }
}

fn lint_lookasides(
    policy: &Policy,
    registries: &RegistriesD,
    file: &str,
    out: &mut Vec<Diagnostic>,
) {
    for (scope, reqs) in policy.docker_scopes() {
        // The check CRI-O will make of sigstore signatures needs them read
        // from the registry: lookasides are for OpenPGP signatures.
        let sigstore = reqs
            .iter()
            .any(|r| matches!(&r.rule, Rule::SigstoreSigned(_)));
        if sigstore && !registries.sigstore_attachments_for_scope(scope) {
            out.push(Diagnostic::warning(
                file,
                Some(member_path("transports.docker", scope)),
                format!(
                    "sigstoreSigned, but registries.d does not set use-sigstore-attachments: true for this scope: nodes will not read the registry's sha256-<hex>.sig signatures, so pulls will likely be rejected (add `docker: {{{scope}: {{use-sigstore-attachments: true}}}}`)"
                ),
            ));
        }
        let signed = reqs
            .iter()
            .any(|r| matches!(&r.rule, Rule::SignedBy(sb) if sb.key_type == KeyType::GpgKeys));
        if signed && registries.lookaside_for_scope(scope).is_none() {
            out.push(Diagnostic::warning(
                file,
                Some(member_path("transports.docker", scope)),
                format!(
                    "signedBy, but registries.d configures no lookaside for this scope: nodes will look for signatures in {BUILTIN_DEFAULT_LOOKASIDE} (and the registry's own signature API, if it has one), so pulls will likely be rejected"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_that_never_match() {
        for ok in [
            "",
            "quay.io",
            "localhost:5000",
            "quay.io/a/b",
            "quay.io/a/b:1",
            "*.example.com",
            "docker.io/library/busybox",
        ] {
            assert_eq!(docker_scope_problem(ok), None, "{ok}");
        }
        assert!(
            docker_scope_problem("busybox/x")
                .unwrap()
                .contains("\"docker.io/busybox/x\"")
        );
        assert!(docker_scope_problem("*.example.com:5000").is_some());
        assert!(docker_scope_problem("Quay.io/A").is_some());
        assert!(docker_scope_problem("quay io").is_some());
    }
}
