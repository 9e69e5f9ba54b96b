//! OpenShift ClusterImagePolicy and ImagePolicy objects
//! (`config.openshift.io/v1` and `v1alpha1`, several YAML documents per
//! file), translated into `sigstoreSigned` requirements the way the
//! machine-config-operator writes them into a node's policy.json: each
//! `spec.scopes` entry becomes a docker transport scope whose requirement
//! list gets the policy's requirement appended (so a scope the policy
//! already names must satisfy both), `rootOfTrust` becomes the trust
//! members (`PublicKey` → `keyData` + `rekorPublicKeyData`,
//! `FulcioCAWithRekor` → `fulcio` + `rekorPublicKeyData`, `PKI` → `pki`)
//! and `signedIdentity.matchPolicy` becomes `signedIdentity`.
//!
//! An ImagePolicy is applied like a ClusterImagePolicy: the operator
//! writes it into a per-namespace CRI-O policy instead, which relsig does
//! not model (there is no namespace to check an image for).
//!
//! The requirement is built as the policy.json object the operator would
//! write and parsed by [`Policy::parse_requirement`], so it is checked by
//! exactly the rules a policy.json file is.

use crate::io::{FileError, MAX_CLUSTER_IMAGE_POLICY};
use crate::policy::config::{Policy, PolicyError, Requirement, Rule};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Why a ClusterImagePolicy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterImagePolicyError {
    #[error(transparent)]
    Read(#[from] FileError),
    #[error("{origin}: {detail}")]
    Invalid { origin: String, detail: String },
    #[error("{origin}: spec.policy does not translate into a valid sigstoreSigned requirement")]
    Requirement {
        origin: String,
        #[source]
        source: PolicyError,
    },
}

/// One ClusterImagePolicy or ImagePolicy, translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePolicy {
    /// `cluster-image-policy NAME` or `image-policy NAMESPACE/NAME`: how
    /// reports name the rule.
    pub name: String,
    /// `spec.scopes`, as docker transport scopes.
    pub scopes: Vec<String>,
    /// The `sigstoreSigned` requirement each scope gets.
    pub rule: Rule,
}

impl ImagePolicy {
    /// What a report says required a signature: the policy and the scope.
    pub fn required_by(&self, scope: &str) -> String {
        format!("{}: scope {scope}", self.name)
    }
}

/// The `openshift` ClusterImagePolicy OpenShift 4.21 installs by
/// default: Red Hat's release key 3 for
/// `quay.io/openshift-release-dev/ocp-release`, `MatchRepoDigestOrExact`.
pub fn openshift_default() -> ImagePolicy {
    use crate::policy::config::{Keys, SignedIdentity, SigstoreSigned, SigstoreTrust};
    ImagePolicy {
        name: "cluster-image-policy openshift".into(),
        scopes: vec!["quay.io/openshift-release-dev/ocp-release".into()],
        rule: Rule::SigstoreSigned(SigstoreSigned {
            trust: SigstoreTrust::Keys(Keys::Data(
                crate::signature::sigstore::REDHAT_RELEASE_KEY_3.to_vec(),
            )),
            rekor: None,
            identity: SignedIdentity::MatchRepoDigestOrExact,
        }),
    }
}

/// Reads every ClusterImagePolicy / ImagePolicy of a YAML file.
pub fn load(path: &Path) -> Result<Vec<ImagePolicy>, ClusterImagePolicyError> {
    let bytes = crate::io::read_bounded(path, "cluster image policy", MAX_CLUSTER_IMAGE_POLICY)?;
    parse(&bytes, &path.display().to_string())
}

/// Parses every document of `yaml`; `file` names it in errors. A file
/// without any ClusterImagePolicy or ImagePolicy is an error (it is
/// almost certainly the wrong file).
pub fn parse(yaml: &[u8], file: &str) -> Result<Vec<ImagePolicy>, ClusterImagePolicyError> {
    let invalid = |detail: String| ClusterImagePolicyError::Invalid {
        origin: file.to_string(),
        detail,
    };
    crate::io::check_nesting(yaml).map_err(|e| invalid(e.to_string()))?;
    let text = std::str::from_utf8(yaml).map_err(|_| invalid("not UTF-8 text".into()))?;
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = serde_yaml_ng::Value::deserialize(doc)
            .map_err(|e| invalid(format!("document {}: not valid YAML ({e})", i + 1)))?;
        if value.is_null() {
            continue;
        }
        let origin = format!("{file}: document {}", i + 1);
        let object: Object =
            serde_yaml_ng::from_value(value).map_err(|e| ClusterImagePolicyError::Invalid {
                origin: origin.clone(),
                detail: format!("not a ClusterImagePolicy or ImagePolicy ({e})"),
            })?;
        out.push(translate(object, &origin)?);
    }
    if out.is_empty() {
        return Err(invalid(
            "no ClusterImagePolicy or ImagePolicy in the file".into(),
        ));
    }
    Ok(out)
}

/// Adds the policies' requirements to `policy`, as the
/// machine-config-operator does: appended to each scope's list in the
/// docker transport (a new scope holds only them). The operator also
/// copies short scopes to the `atomic` transport, which relsig never uses.
pub fn apply(policy: &mut Policy, policies: &[ImagePolicy]) {
    let docker = policy.transports.entry("docker".into()).or_default();
    for p in policies {
        for scope in &p.scopes {
            docker.entry(scope.clone()).or_default().push(Requirement {
                path: p.required_by(scope),
                rule: p.rule.clone(),
            });
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: Metadata,
    spec: Option<Spec>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct Spec {
    #[serde(default)]
    scopes: Vec<String>,
    policy: Option<PolicySpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicySpec {
    root_of_trust: Option<RootOfTrust>,
    #[serde(default)]
    signed_identity: Option<SignedIdentitySpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootOfTrust {
    #[serde(default)]
    policy_type: String,
    public_key: Option<PublicKey>,
    #[serde(rename = "fulcioCAWithRekor")]
    fulcio_ca_with_rekor: Option<FulcioCaWithRekor>,
    #[serde(rename = "pki", alias = "PKI")]
    pki: Option<PkiSpec>,
}

/// The `*Data` members are Go `[]byte`: base64 in YAML, as policy.json
/// holds them, so they are passed on unchanged.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKey {
    #[serde(default)]
    key_data: String,
    #[serde(default)]
    rekor_key_data: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FulcioCaWithRekor {
    #[serde(rename = "fulcioCAData", default)]
    fulcio_ca_data: String,
    #[serde(default)]
    rekor_key_data: String,
    #[serde(default)]
    fulcio_subject: FulcioSubject,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FulcioSubject {
    #[serde(rename = "oidcIssuer", default)]
    oidc_issuer: String,
    #[serde(default)]
    signed_email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PkiSpec {
    #[serde(default)]
    ca_roots_data: String,
    #[serde(default)]
    ca_intermediates_data: Option<String>,
    #[serde(default)]
    pki_certificate_subject: PkiSubject,
}

#[derive(Deserialize, Default)]
struct PkiSubject {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignedIdentitySpec {
    #[serde(default)]
    match_policy: String,
    exact_repository: Option<ExactRepository>,
    remap_identity: Option<RemapIdentity>,
}

#[derive(Deserialize)]
struct ExactRepository {
    #[serde(default)]
    repository: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemapIdentity {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    signed_prefix: String,
}

fn translate(object: Object, origin: &str) -> Result<ImagePolicy, ClusterImagePolicyError> {
    let invalid = |detail: String| ClusterImagePolicyError::Invalid {
        origin: origin.to_string(),
        detail,
    };
    if !matches!(
        object.api_version.as_str(),
        "config.openshift.io/v1" | "config.openshift.io/v1alpha1"
    ) {
        return Err(invalid(format!(
            "apiVersion {:?}, expected config.openshift.io/v1 or config.openshift.io/v1alpha1",
            object.api_version
        )));
    }
    let name = match object.kind.as_str() {
        "ClusterImagePolicy" => format!("cluster-image-policy {}", object.metadata.name),
        "ImagePolicy" => match &object.metadata.namespace {
            Some(ns) => format!("image-policy {ns}/{}", object.metadata.name),
            None => format!("image-policy {}", object.metadata.name),
        },
        other => {
            return Err(invalid(format!(
                "kind {other:?}, expected ClusterImagePolicy or ImagePolicy"
            )));
        }
    };
    let origin = format!("{origin} ({name})");
    let invalid = |detail: String| ClusterImagePolicyError::Invalid {
        origin: origin.clone(),
        detail,
    };
    if object.metadata.name.is_empty() {
        return Err(invalid("metadata.name is missing".into()));
    }
    let spec = object
        .spec
        .ok_or_else(|| invalid("spec is missing".into()))?;
    if spec.scopes.is_empty() {
        return Err(invalid(
            "spec.scopes is empty: at least one scope is needed".into(),
        ));
    }
    for (i, scope) in spec.scopes.iter().enumerate() {
        check_scope(scope).map_err(|d| invalid(format!("spec.scopes[{i}] {scope:?}: {d}")))?;
    }
    let policy = spec
        .policy
        .ok_or_else(|| invalid("spec.policy is missing".into()))?;
    let requirement = requirement_json(&policy).map_err(invalid)?;
    let rule =
        Policy::parse_requirement(&requirement, &origin, "spec.policy").map_err(|source| {
            ClusterImagePolicyError::Requirement {
                origin: origin.clone(),
                source,
            }
        })?;
    Ok(ImagePolicy {
        name,
        scopes: spec.scopes,
        rule,
    })
}

/// A scope as the API accepts it: a registry (optionally `*.` wildcard),
/// repository or image by tag or digest, without a scheme.
fn check_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err("empty".into());
    }
    if scope.contains("://") {
        return Err("a scope has no scheme: write host[:port][/path]".into());
    }
    if scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace".into());
    }
    Ok(())
}

/// The policy.json `sigstoreSigned` object the machine-config-operator
/// writes for `policy`.
fn requirement_json(policy: &PolicySpec) -> Result<Value, String> {
    let trust = policy
        .root_of_trust
        .as_ref()
        .ok_or("spec.policy.rootOfTrust is missing")?;
    let mut out = Map::new();
    out.insert("type".into(), json!("sigstoreSigned"));
    match trust.policy_type.as_str() {
        "PublicKey" => {
            let key = trust.public_key.as_ref().ok_or(
                "spec.policy.rootOfTrust.publicKey is missing (policyType PublicKey needs it)",
            )?;
            out.insert("keyData".into(), json!(key.key_data));
            if let Some(rekor) = key.rekor_key_data.as_ref().filter(|r| !r.is_empty()) {
                out.insert("rekorPublicKeyData".into(), json!(rekor));
            }
        }
        "FulcioCAWithRekor" => {
            let f = trust.fulcio_ca_with_rekor.as_ref().ok_or(
                "spec.policy.rootOfTrust.fulcioCAWithRekor is missing (policyType FulcioCAWithRekor needs it)",
            )?;
            out.insert(
                "fulcio".into(),
                json!({
                    "caData": f.fulcio_ca_data,
                    "oidcIssuer": f.fulcio_subject.oidc_issuer,
                    "subjectEmail": f.fulcio_subject.signed_email,
                }),
            );
            out.insert("rekorPublicKeyData".into(), json!(f.rekor_key_data));
        }
        "PKI" => {
            let p = trust
                .pki
                .as_ref()
                .ok_or("spec.policy.rootOfTrust.pki is missing (policyType PKI needs it)")?;
            let mut pki = Map::new();
            pki.insert("caRootsData".into(), json!(p.ca_roots_data));
            if let Some(i) = p.ca_intermediates_data.as_ref().filter(|i| !i.is_empty()) {
                pki.insert("caIntermediatesData".into(), json!(i));
            }
            let subject = &p.pki_certificate_subject;
            if let Some(e) = &subject.email {
                pki.insert("subjectEmail".into(), json!(e));
            }
            if let Some(h) = &subject.hostname {
                pki.insert("subjectHostname".into(), json!(h));
            }
            out.insert("pki".into(), Value::Object(pki));
        }
        other => {
            return Err(format!(
                "spec.policy.rootOfTrust.policyType {other:?}, expected PublicKey, FulcioCAWithRekor or PKI"
            ));
        }
    }
    let identity = match &policy.signed_identity {
        None => json!({"type": "matchRepoDigestOrExact"}),
        Some(si) => match si.match_policy.as_str() {
            "" | "MatchRepoDigestOrExact" => json!({"type": "matchRepoDigestOrExact"}),
            "MatchRepository" => json!({"type": "matchRepository"}),
            "ExactRepository" => {
                let r = si.exact_repository.as_ref().ok_or(
                    "spec.policy.signedIdentity.exactRepository is missing (matchPolicy ExactRepository needs it)",
                )?;
                json!({"type": "exactRepository", "dockerRepository": r.repository})
            }
            "RemapIdentity" => {
                let r = si.remap_identity.as_ref().ok_or(
                    "spec.policy.signedIdentity.remapIdentity is missing (matchPolicy RemapIdentity needs it)",
                )?;
                json!({"type": "remapIdentity", "prefix": r.prefix, "signedPrefix": r.signed_prefix})
            }
            other => {
                return Err(format!(
                    "spec.policy.signedIdentity.matchPolicy {other:?}, expected MatchRepoDigestOrExact, MatchRepository, ExactRepository or RemapIdentity"
                ));
            }
        },
    };
    out.insert("signedIdentity".into(), identity);
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::config::{Keys, SignedIdentity, SigstoreTrust};

    fn fixture(name: &str) -> Vec<ImagePolicy> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/sigstore/redhat")
            .join(name);
        load(&path).unwrap()
    }

    fn key_of(rule: &Rule) -> (&[u8], Option<&Keys>, &SignedIdentity) {
        let Rule::SigstoreSigned(s) = rule else {
            panic!("not sigstoreSigned: {rule:?}")
        };
        let SigstoreTrust::Keys(Keys::Data(k)) = &s.trust else {
            panic!("not keyData: {:?}", s.trust)
        };
        (k, s.rekor.as_ref(), &s.identity)
    }

    #[test]
    fn openshift_4_21_requires_release_key_3_for_ocp_release() {
        let cips = fixture("clusterimagepolicy-openshift-4.21.yaml");
        assert_eq!(cips.len(), 1);
        assert_eq!(cips[0].name, "cluster-image-policy openshift");
        assert_eq!(
            cips[0].scopes,
            ["quay.io/openshift-release-dev/ocp-release"]
        );
        let (key, rekor, identity) = key_of(&cips[0].rule);
        let release3 = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/sigstore/redhat/SIGSTORE-redhat-release3.pem"),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8_lossy(key).trim(),
            String::from_utf8_lossy(&release3).trim()
        );
        assert!(rekor.is_none());
        assert_eq!(identity, &SignedIdentity::MatchRepoDigestOrExact);
        // The built-in default is the same policy.
        let mut builtin = openshift_default();
        let mut file = cips[0].clone();
        for p in [&mut builtin, &mut file] {
            if let Rule::SigstoreSigned(s) = &mut p.rule
                && let SigstoreTrust::Keys(Keys::Data(k)) = &mut s.trust
            {
                *k = String::from_utf8_lossy(k).trim().as_bytes().to_vec();
            }
        }
        assert_eq!(builtin, file);
    }

    #[test]
    fn openshift_main_also_covers_the_component_repositories() {
        let cips = fixture("clusterimagepolicy-openshift-main.yaml");
        assert_eq!(
            cips[0].scopes,
            [
                "quay.io/openshift-release-dev/ocp-release",
                "quay.io/openshift-release-dev/ocp-v4.0-art-dev",
                "quay.io/openshift-release-dev/ocp-v5.0-art-dev",
            ]
        );
        let mut policy = Policy::default();
        apply(&mut policy, &cips);
        let scopes: Vec<_> = policy.docker_scopes().map(|(s, _)| s.as_str()).collect();
        assert!(scopes.contains(&"quay.io/openshift-release-dev/ocp-v4.0-art-dev"));
        let reqs = &policy.transports["docker"]["quay.io/openshift-release-dev/ocp-v4.0-art-dev"];
        assert_eq!(
            reqs[0].path,
            "cluster-image-policy openshift: scope quay.io/openshift-release-dev/ocp-v4.0-art-dev"
        );
    }

    #[test]
    fn origin_e2e_policies_carry_the_rekor_key() {
        let cips = fixture("origin-e2e-public-key-rekor-cluster-image-policy.yaml");
        assert_eq!(cips.len(), 2);
        assert_eq!(
            cips[0].name,
            "cluster-image-policy public-key-rekor-cluster-image-policy"
        );
        let (_, rekor, _) = key_of(&cips[0].rule);
        assert!(matches!(rekor, Some(Keys::Data(k)) if k.starts_with(b"-----BEGIN PUBLIC KEY")));
        let (_, rekor, _) = key_of(&cips[1].rule);
        assert!(rekor.is_none());
        let ips = fixture("origin-e2e-public-key-rekor-image-policy.yaml");
        assert!(ips[0].name.starts_with("image-policy "), "{}", ips[0].name);
        let (_, rekor, _) = key_of(&ips[0].rule);
        assert!(rekor.is_some());
    }

    #[test]
    fn requirements_are_appended_to_an_existing_scope() {
        let mut policy = Policy::parse(
            br#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io/openshift-release-dev/ocp-release":[{"type":"insecureAcceptAnything"}]}}}"#,
            "policy.json",
        )
        .unwrap();
        apply(
            &mut policy,
            &fixture("clusterimagepolicy-openshift-4.21.yaml"),
        );
        let reqs = &policy.transports["docker"]["quay.io/openshift-release-dev/ocp-release"];
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].rule, Rule::InsecureAcceptAnything);
        assert_eq!(reqs[1].rule.type_name(), "sigstoreSigned");
    }

    const KEY: &str = "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFVW9GVW9ZQVJlS1hHeTU5eGU1U1FPazJhSjhvKwoyL1l6NVk4R21sTUt0VUlMQUpwL0pISmxZUkJ0TGNQcjBLK0pDcmhCUkRCM3F0dGJNZklzNUwrS1JBPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==";

    fn cip(policy: &str) -> String {
        format!(
            "apiVersion: config.openshift.io/v1\nkind: ClusterImagePolicy\nmetadata:\n  name: t\nspec:\n  scopes:\n  - example.com/a\n  policy:\n{policy}"
        )
    }

    #[test]
    fn match_policies_become_signed_identities() {
        let remap = cip(&format!(
            "    rootOfTrust:\n      policyType: PublicKey\n      publicKey:\n        keyData: {KEY}\n    signedIdentity:\n      matchPolicy: RemapIdentity\n      remapIdentity:\n        prefix: example.com\n        signedPrefix: quay.io/x\n"
        ));
        let p = parse(remap.as_bytes(), "t.yaml").unwrap();
        assert_eq!(
            key_of(&p[0].rule).2,
            &SignedIdentity::RemapIdentity {
                prefix: "example.com".into(),
                signed_prefix: "quay.io/x".into()
            }
        );
        let repo = cip(&format!(
            "    rootOfTrust:\n      policyType: PublicKey\n      publicKey:\n        keyData: {KEY}\n    signedIdentity:\n      matchPolicy: MatchRepository\n"
        ));
        let p = parse(repo.as_bytes(), "t.yaml").unwrap();
        assert_eq!(key_of(&p[0].rule).2, &SignedIdentity::MatchRepository);
        let exact = cip(&format!(
            "    rootOfTrust:\n      policyType: PublicKey\n      publicKey:\n        keyData: {KEY}\n    signedIdentity:\n      matchPolicy: ExactRepository\n      exactRepository:\n        repository: quay.io/x/y\n"
        ));
        let p = parse(exact.as_bytes(), "t.yaml").unwrap();
        assert!(
            matches!(key_of(&p[0].rule).2, SignedIdentity::ExactRepository(r) if r.repository() == "quay.io/x/y")
        );
    }

    #[test]
    fn fulcio_and_pki_roots_translate() {
        let fulcio = cip(&format!(
            "    rootOfTrust:\n      policyType: FulcioCAWithRekor\n      fulcioCAWithRekor:\n        fulcioCAData: {KEY}\n        rekorKeyData: {KEY}\n        fulcioSubject:\n          oidcIssuer: https://issuer.example\n          signedEmail: a@example.com\n"
        ));
        let p = parse(fulcio.as_bytes(), "t.yaml").unwrap();
        let Rule::SigstoreSigned(s) = &p[0].rule else {
            panic!()
        };
        assert!(
            matches!(&s.trust, SigstoreTrust::Fulcio(f) if f.subject_email == "a@example.com" && f.oidc_issuer == "https://issuer.example")
        );
        assert!(s.rekor.is_some());
        let pki = cip(&format!(
            "    rootOfTrust:\n      policyType: PKI\n      pki:\n        caRootsData: {KEY}\n        pkiCertificateSubject:\n          hostname: node.example.com\n"
        ));
        let p = parse(pki.as_bytes(), "t.yaml").unwrap();
        let Rule::SigstoreSigned(s) = &p[0].rule else {
            panic!()
        };
        assert!(
            matches!(&s.trust, SigstoreTrust::Pki(p) if p.subject_hostname.as_deref() == Some("node.example.com"))
        );
    }

    #[test]
    fn bad_objects_name_the_document_and_field() {
        let e = parse(
            b"kind: ImageDigestMirrorSet\napiVersion: config.openshift.io/v1\n",
            "f.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("f.yaml: document 1") && e.contains("ClusterImagePolicy"),
            "{e}"
        );
        let e = parse(
            cip("    rootOfTrust:\n      policyType: Keyless\n").as_bytes(),
            "f.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("policyType \"Keyless\""), "{e}");
        let e = parse(
            cip("    rootOfTrust:\n      policyType: PublicKey\n      publicKey:\n        keyData: '%%%'\n").as_bytes(),
            "f.yaml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("cluster-image-policy t"), "{e}");
        assert!(
            std::error::Error::source(&e)
                .unwrap()
                .to_string()
                .contains("base64")
        );
        let e = parse(b"", "f.yaml").unwrap_err().to_string();
        assert!(e.contains("no ClusterImagePolicy"), "{e}");
    }
}
