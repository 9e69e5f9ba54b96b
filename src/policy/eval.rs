//! The decision containers/image makes for pulling one image over the
//! docker transport: the scope lookup, then every requirement of that
//! scope, each `signedBy` judged over the image's signatures with the
//! checks of [`crate::signature::check::check_signature`].

use super::config::{
    KeyType, Keys, Policy, Requirement, Rule, SignedBy, SignedIdentity, SigstoreSigned,
};
use super::node_keys::{self, KeyFile};
use crate::config::member_path;
use crate::image::manifest::Manifest;
use crate::image::reference::{Reference, ReferenceError};
use crate::signature::check::{Checks, Image, check_signature};
use crate::signature::identity::ExpectedIdentity;
use crate::signature::openpgp::OpenPgp;
use crate::signature::openpgp::keyring::{Accepted, Keyring};
use crate::signature::sigstore::Sigstore;
use crate::signature::sigstore::format::{SIMPLE_SIGNING_MEDIA_TYPE, SigstoreSignature};
use crate::signature::{Kind, Mechanism, SignatureOutcome};
use crate::sources::stores::Signature;
use crate::status::Status;
use serde::Serialize;
use std::path::Path;
use std::time::SystemTime;

/// An image argument that the docker transport would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("image {0:?} has both a tag and a digest; the docker transport takes one or the other")]
    TagAndDigest(String),
}

/// Parses an image as the docker transport does
/// ([`Reference::parse_image`]: an optional `docker://`, `:latest` added
/// when neither a tag nor a digest is given, so the policy sees the tagged
/// reference).
pub fn image_reference(s: &str) -> Result<Reference, ImageError> {
    let r = Reference::parse_image(s)?;
    if r.tag().is_some() && r.digest().is_some() {
        return Err(ImageError::TagAndDigest(s.to_string()));
    }
    Ok(r)
}

/// What `signedBy` needs: the manifest as served and the signatures.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Its digests are computed once for every use below.
    pub manifest: Manifest<'static>,
    pub signatures: Vec<Signature>,
    /// Where the signatures were looked for, for messages.
    pub searched: String,
    /// Why the manifest's digest cannot be computed, if it cannot: every
    /// signature requirement then rejects the image, as containers/image
    /// rejects each signature of such an image, while
    /// `insecureAcceptAnything` still accepts it.
    pub manifest_error: Option<String>,
}

/// The policy's verdict on the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Accepted,
    Rejected,
    /// relsig cannot tell what containers/image would decide (an
    /// unsupported requirement, keys or evidence that could not be read).
    CannotDecide,
}

impl Verdict {
    /// The verdict in the vocabulary of every command.
    pub fn status(self) -> Status {
        match self {
            Verdict::Accepted => Status::Verified,
            Verdict::Rejected => Status::Rejected,
            Verdict::CannotDecide => Status::CouldNotCheck,
        }
    }
}

/// The result of one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Accepted,
    Rejected,
    /// relsig cannot evaluate it.
    Unsupported,
    /// Keys or evidence could not be read.
    Error,
}

/// Why a requirement has its outcome; the kebab-case names are the stable
/// `reason` values of the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementReason {
    InsecureAcceptAnything,
    Reject,
    SignatureAccepted,
    NoSignatures,
    NoAcceptedSignature,
    KeysUnavailable,
    UnsupportedKeyType,
    UnsupportedRequirement,
    NotImplemented,
    InvalidRemappedIdentity,
    InvalidManifest,
    FetchFailed,
}

impl RequirementReason {
    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        use RequirementReason as R;
        match self {
            R::InsecureAcceptAnything => "insecure-accept-anything",
            R::Reject => "reject",
            R::SignatureAccepted => "signature-accepted",
            R::NoSignatures => "no-signatures",
            R::NoAcceptedSignature => "no-accepted-signature",
            R::KeysUnavailable => "keys-unavailable",
            R::UnsupportedKeyType => "unsupported-key-type",
            R::UnsupportedRequirement => "unsupported-requirement",
            R::NotImplemented => "not-implemented",
            R::InvalidRemappedIdentity => "invalid-remapped-identity",
            R::InvalidManifest => "invalid-manifest",
            R::FetchFailed => "fetch-failed",
        }
    }
}

/// Which part of the policy applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeMatch {
    pub transport: &'static str,
    /// The docker scope that matched; `None` when `default` applied.
    pub scope: Option<String>,
    /// Its JSON path in policy.json.
    pub path: String,
}

/// One requirement's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementResult {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub result: Outcome,
    pub reason: RequirementReason,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_identity: Option<String>,
    /// The identity a signature must name for this image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures_from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureOutcome>,
}

impl RequirementResult {
    fn new(req: &Requirement, result: Outcome, reason: RequirementReason, message: String) -> Self {
        RequirementResult {
            path: req.path.clone(),
            kind: req.rule.type_name(),
            result,
            reason,
            message,
            key_type: None,
            keys: Vec::new(),
            signed_identity: None,
            expected_identity: None,
            signatures_from: None,
            signatures: Vec::new(),
        }
    }
}

/// The whole decision for one image.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub image: String,
    /// The verdict in the vocabulary of every command.
    pub status: Status,
    /// The verdict in CRI-O's words.
    pub verdict: Verdict,
    pub message: String,
    pub scope: ScopeMatch,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    pub requirements: Vec<RequirementResult>,
}

/// The requirements that apply to `image`: the docker scope matching its
/// identity, else the most specific enclosing namespace or wildcard
/// domain, else the transport's `""`, else `default`.
pub fn requirements_for<'p>(
    policy: &'p Policy,
    image: &Reference,
) -> (ScopeMatch, &'p [Requirement]) {
    if let Some(scopes) = policy.transports.get("docker") {
        let candidates = image
            .policy_scopes()
            .into_iter()
            .chain(std::iter::once(String::new()));
        for name in candidates {
            if let Some(reqs) = scopes.get(&name) {
                let path = member_path(&member_path("transports", "docker"), &name);
                let scope = ScopeMatch {
                    transport: "docker",
                    scope: Some(name),
                    path,
                };
                return (scope, reqs);
            }
        }
    }
    let scope = ScopeMatch {
        transport: "docker",
        scope: None,
        path: "default".into(),
    };
    (scope, &policy.default)
}

/// How requirements are evaluated.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions<'a> {
    /// When key validity is judged.
    pub at: SystemTime,
    /// Whether `at` is the current time (no `--at`; see
    /// [`OpenPgp::judged_now`]).
    pub judged_now: bool,
    /// Read absolute key paths under this directory (a copy of a node's
    /// files) instead of from `/`.
    pub root: Option<&'a Path>,
}

/// Decides whether `policy` lets `image` be pulled. `fetch` is called at
/// most once, and only when a `signedBy` requirement needs the manifest
/// and signatures.
pub fn evaluate(
    policy: &Policy,
    image: &Reference,
    opts: &EvalOptions<'_>,
    fetch: &mut dyn FnMut() -> Result<Evidence, String>,
) -> Decision {
    let (scope, reqs) = requirements_for(policy, image);
    log::debug!("{image}: policy scope {} applies", scope.path);
    let mut evidence = Lazy {
        fetch,
        image,
        fetched: None,
    };
    let requirements: Vec<RequirementResult> = reqs
        .iter()
        .map(|req| {
            let r = evaluate_requirement(req, image, opts, &mut evidence);
            log::debug!(
                "{image}: {} {}: {}: {}",
                r.path,
                r.kind,
                r.reason.as_str(),
                r.message
            );
            r
        })
        .collect();
    let manifest_digest = evidence
        .fetched
        .as_ref()
        .and_then(|e| e.as_ref().ok())
        .and_then(|e| e.manifest.digest().ok())
        .map(|d| d.to_string());

    let first = |o: Outcome| requirements.iter().find(|r| r.result == o);
    let (verdict, message) = if let Some(r) = first(Outcome::Rejected) {
        (
            Verdict::Rejected,
            format!("rejected by {}: {}", r.path, r.message),
        )
    } else if let Some(r) = first(Outcome::Error).or_else(|| first(Outcome::Unsupported)) {
        (
            Verdict::CannotDecide,
            format!("cannot decide: {}: {}", r.path, r.message),
        )
    } else if requirements.is_empty() {
        // The parser refuses empty lists; containers/image rejects them too.
        (
            Verdict::Rejected,
            format!("rejected: {} has no requirements", scope.path),
        )
    } else {
        (
            Verdict::Accepted,
            format!("accepted: every requirement of {} is satisfied", scope.path),
        )
    };
    Decision {
        image: image.to_string(),
        status: verdict.status(),
        verdict,
        message,
        scope,
        manifest_digest,
        requirements,
    }
}

/// The evidence, fetched on first use.
struct Lazy<'a> {
    fetch: &'a mut dyn FnMut() -> Result<Evidence, String>,
    image: &'a Reference,
    fetched: Option<Result<Evidence, String>>,
}

impl Lazy<'_> {
    fn get(&mut self) -> Result<&Evidence, String> {
        let (fetch, image) = (&mut self.fetch, self.image);
        self.fetched
            .get_or_insert_with(|| fetch().and_then(|e| check_manifest(image, e)))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// containers/image refuses a manifest that does not match the digest of
/// a digest reference before any policy is evaluated.
fn check_manifest(image: &Reference, evidence: Evidence) -> Result<Evidence, String> {
    if let Some(d) = image.digest() {
        let expected = crate::image::digest::Digest::parse(d).map_err(|e| e.to_string())?;
        let ok = evidence
            .manifest
            .matches(&expected)
            .map_err(|e| e.to_string())?;
        if !ok {
            return Err(format!(
                "the manifest served does not match the digest {d} of the image reference"
            ));
        }
    }
    Ok(evidence)
}

fn evaluate_requirement(
    req: &Requirement,
    image: &Reference,
    opts: &EvalOptions<'_>,
    evidence: &mut Lazy<'_>,
) -> RequirementResult {
    use RequirementReason as R;
    let done = |o, r, m: &str| RequirementResult::new(req, o, r, m.to_string());
    match &req.rule {
        Rule::InsecureAcceptAnything => done(
            Outcome::Accepted,
            R::InsecureAcceptAnything,
            "insecureAcceptAnything accepts any image, signed or not",
        ),
        Rule::Reject => done(
            Outcome::Rejected,
            R::Reject,
            &format!("the policy rejects {image} outright"),
        ),
        Rule::SigstoreSigned(ss) => sigstore_signed(req, ss, image, opts, evidence),
        Rule::SignedBaseLayer => done(
            Outcome::Rejected,
            R::NotImplemented,
            "signedBaseLayer is not implemented by containers/image, which rejects every image under it",
        ),
        Rule::SignedBy(sb) => signed_by(req, sb, image, opts, evidence),
    }
}

fn signed_by(
    req: &Requirement,
    sb: &SignedBy,
    image: &Reference,
    opts: &EvalOptions<'_>,
    evidence: &mut Lazy<'_>,
) -> RequirementResult {
    use RequirementReason as R;
    let mut res = RequirementResult::new(req, Outcome::Error, R::KeysUnavailable, String::new());
    res.key_type = Some(sb.key_type.as_str());
    res.signed_identity = Some(sb.identity.to_string());
    let finish = |mut res: RequirementResult, o, r, m: String| {
        res.result = o;
        res.reason = r;
        res.message = m;
        res
    };
    if sb.key_type != KeyType::GpgKeys {
        let m = format!(
            "keyType {} is not supported: containers/image does not implement it and rejects every image under this requirement",
            sb.key_type.as_str()
        );
        return finish(res, Outcome::Rejected, R::UnsupportedKeyType, m);
    }

    let keyring = match &sb.keys {
        Keys::Data(bytes) => {
            res.keys = vec![format!("keyData ({} bytes)", bytes.len())];
            let mut k = Keyring::default();
            k.add_bytes("keyData", bytes).map(|()| k)
        }
        Keys::Datas(all) => {
            res.keys = vec![format!("keyDatas ({} keys)", all.len())];
            let mut k = Keyring::default();
            all.iter()
                .try_for_each(|bytes| k.add_bytes("keyDatas", bytes))
                .map(|()| k)
        }
        keys => {
            let files: Vec<KeyFile> = keys
                .paths()
                .into_iter()
                .map(|p| KeyFile::locate(p, opts.root))
                .collect();
            res.keys = files.iter().map(KeyFile::shown).collect();
            node_keys::keyring(&files)
        }
    };
    let keyring = match keyring {
        Ok(k) => k,
        Err(e) => {
            let hint = if opts.root.is_none() && sb.keys.paths().iter().any(|p| p.starts_with('/'))
            {
                " (for a node's policy, --root DIR reads key paths under a copy of the node's files)"
            } else {
                ""
            };
            return finish(
                res,
                Outcome::Error,
                R::KeysUnavailable,
                format!("{}{hint}", crate::io::error_chain(&e)),
            );
        }
    };

    let mechanism = OpenPgp {
        keyring: &keyring,
        accepted: &Accepted::Any,
        judged_now: opts.judged_now,
    };
    judge_signatures(
        res,
        &sb.identity,
        &mechanism,
        Kind::OpenPgp,
        image,
        opts,
        evidence,
    )
}

fn sigstore_signed(
    req: &Requirement,
    ss: &SigstoreSigned,
    image: &Reference,
    opts: &EvalOptions<'_>,
    evidence: &mut Lazy<'_>,
) -> RequirementResult {
    use RequirementReason as R;
    let mut res = RequirementResult::new(req, Outcome::Error, R::KeysUnavailable, String::new());
    res.signed_identity = Some(ss.identity.to_string());
    let (trust, shown) = match super::sigstore::load(ss, opts.root) {
        Ok(t) => t,
        Err(e) => {
            let hint = if opts.root.is_none()
                && matches!(e, super::sigstore::TrustError::Read { .. })
            {
                " (for a node's policy, --root DIR reads key paths under a copy of the node's files)"
            } else {
                ""
            };
            res.message = format!("{}{hint}", crate::io::error_chain(&e));
            return res;
        }
    };
    res.keys = shown;
    let mechanism = Sigstore { trust };
    judge_signatures(
        res,
        &ss.identity,
        &mechanism,
        Kind::Sigstore,
        image,
        opts,
        evidence,
    )
}

/// The identity a signature must name for `image` under `identity`.
fn expected_identity(
    identity: &SignedIdentity,
    image: &Reference,
) -> Result<ExpectedIdentity, String> {
    Ok(match identity {
        SignedIdentity::MatchRepoDigestOrExact => {
            ExpectedIdentity::RepoDigestOrExact(image.clone())
        }
        SignedIdentity::MatchExact => ExpectedIdentity::Exact(image.clone()),
        SignedIdentity::MatchRepository => ExpectedIdentity::Repository(image.clone()),
        SignedIdentity::ExactReference(r) => ExpectedIdentity::Exact(r.clone()),
        SignedIdentity::ExactRepository(r) => ExpectedIdentity::Repository(r.clone()),
        SignedIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        } => ExpectedIdentity::remapped(image, prefix, signed_prefix)
            .map_err(|e| format!("{e}, so no signature can match"))?,
    })
}

/// Judges the image's signatures of `kind` with `mechanism`, as
/// containers/image does: one accepted signature is enough; signatures of
/// the other mechanism (and sigstore attachments that are not
/// signatures) are not considered.
fn judge_signatures(
    mut res: RequirementResult,
    identity: &SignedIdentity,
    mechanism: &dyn Mechanism,
    kind: Kind,
    image: &Reference,
    opts: &EvalOptions<'_>,
    evidence: &mut Lazy<'_>,
) -> RequirementResult {
    use RequirementReason as R;
    let finish = |mut res: RequirementResult, o, r, m: String| {
        res.result = o;
        res.reason = r;
        res.message = m;
        res
    };
    let expected = match expected_identity(identity, image) {
        Ok(e) => e,
        Err(m) => return finish(res, Outcome::Rejected, R::InvalidRemappedIdentity, m),
    };
    // References never contain quotes; Display quotes them for prose.
    res.expected_identity = Some(expected.to_string().replace('"', ""));

    let evidence = match evidence.get() {
        Ok(e) => e,
        Err(e) => return finish(res, Outcome::Error, R::FetchFailed, e),
    };
    if let Some(m) = &evidence.manifest_error {
        return finish(res, Outcome::Rejected, R::InvalidManifest, m.clone());
    }
    res.signatures_from = Some(evidence.searched.clone());
    let (mut other_kind, mut attachments) = (0usize, 0usize);
    let considered: Vec<_> = evidence
        .signatures
        .iter()
        .filter(|s| {
            if Kind::of(&s.bytes) != kind {
                other_kind += 1;
                return false;
            }
            // containers/image skips sigstore attachments of another type.
            let attachment = kind == Kind::Sigstore
                && SigstoreSignature::parse(&s.bytes)
                    .is_ok_and(|p| p.mime_type != SIMPLE_SIGNING_MEDIA_TYPE);
            attachments += usize::from(attachment);
            !attachment
        })
        .collect();
    if considered.is_empty() {
        let mut skipped = Vec::new();
        if other_kind > 0 {
            let other = match kind {
                Kind::OpenPgp => Kind::Sigstore,
                Kind::Sigstore => Kind::OpenPgp,
            };
            skipped.push(format!("{other_kind} {} signatures", other.name()));
        }
        if attachments > 0 {
            skipped.push(format!(
                "{attachments} sigstore attachments that are not signatures"
            ));
        }
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!(", only {}", skipped.join(" and "))
        };
        let m = format!(
            "a {} signature was required, but there is none (looked in {}{skipped})",
            kind.name(),
            evidence.searched
        );
        return finish(res, Outcome::Rejected, R::NoSignatures, m);
    }
    let checks = Checks {
        mechanism,
        expected: &expected,
        at: opts.at,
    };
    res.signatures = considered
        .iter()
        .map(|s| SignatureOutcome {
            source: s.source.clone(),
            report: check_signature(&s.bytes, Image::Manifest(&evidence.manifest), &checks),
        })
        .collect();
    if let Some(ok) = res.signatures.iter().find(|s| s.report.verified) {
        let m = format!(
            "signature {} is accepted (key {})",
            ok.source,
            ok.report.key_fingerprint.as_deref().unwrap_or("?")
        );
        return finish(res, Outcome::Accepted, R::SignatureAccepted, m);
    }
    let reasons: Vec<String> = res
        .signatures
        .iter()
        .map(|s| format!("{}: {}", s.source, s.report.message))
        .collect();
    let m = format!(
        "none of the {} signatures was accepted: {}",
        res.signatures.len(),
        reasons.join("; ")
    );
    finish(res, Outcome::Rejected, R::NoAcceptedSignature, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_are_the_json_names() {
        use RequirementReason as R;
        for r in [
            R::InsecureAcceptAnything,
            R::Reject,
            R::SignatureAccepted,
            R::NoSignatures,
            R::NoAcceptedSignature,
            R::KeysUnavailable,
            R::UnsupportedKeyType,
            R::UnsupportedRequirement,
            R::NotImplemented,
            R::InvalidRemappedIdentity,
            R::FetchFailed,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
