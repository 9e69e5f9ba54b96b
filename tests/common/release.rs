//! OpenShift-shaped releases built at test time and pushed into a real
//! registry on 127.0.0.1 through the Docker Registry HTTP API: small
//! component images, and a release image whose last layer is a gzip tar
//! holding `release-manifests/image-references` (an ImageStream in the
//! shape of the real 4.12.0 one) and `release-manifests/release-metadata`.
//! Shared by `tests/suite/release.rs` and `examples/release_fixture.rs`
//! (the benchmark's release).

#![allow(dead_code)]

use sha2::Digest as _;

/// Where real releases pin their components.
pub const ART_DEV: &str = "quay.io/openshift-release-dev/ocp-v4.0-art-dev";
/// Where real releases are published (and what their signatures name).
pub const OCP_RELEASE: &str = "quay.io/openshift-release-dev/ocp-release";
/// The mirror repository, as `oc adm release mirror --to` names it.
pub const MIRROR_REPO: &str = "ocp/release";

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

pub fn sha256(bytes: &[u8]) -> String {
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Pushes blobs and manifests to a registry over plain http.
pub struct Pusher {
    /// `http://127.0.0.1:PORT`.
    base: String,
    client: reqwest::blocking::Client,
}

impl Pusher {
    /// `addr` is `127.0.0.1:PORT`.
    pub fn new(addr: &str) -> Pusher {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Pusher {
            base: format!("http://{addr}"),
            client: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// Uploads `bytes` as a blob of `repo` (monolithic upload); its digest.
    pub fn blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let r = self
            .client
            .post(format!("{}/v2/{repo}/blobs/uploads/", self.base))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 202, "start upload: {r:?}");
        let location = r.headers()["location"].to_str().unwrap().to_string();
        let url = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.base)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let r = self
            .client
            .put(format!("{url}{sep}digest={digest}"))
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "finish upload: {r:?}");
        digest
    }

    /// PUTs a manifest under `reference` (a tag or its digest); its digest.
    pub fn manifest(
        &self,
        repo: &str,
        reference: Option<&str>,
        bytes: &[u8],
        media_type: &str,
    ) -> String {
        let digest = sha256(bytes);
        let r = self
            .client
            .put(format!(
                "{}/v2/{repo}/manifests/{}",
                self.base,
                reference.unwrap_or(&digest)
            ))
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "put manifest: {:?}", r.text());
        digest
    }

    /// Deletes a manifest or blob (`kind`: `manifests` or `blobs`); the
    /// registry must allow deletes.
    pub fn delete(&self, repo: &str, kind: &str, digest: &str) {
        let r = self
            .client
            .delete(format!("{}/v2/{repo}/{kind}/{digest}", self.base))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 202, "delete {kind} {digest}: {r:?}");
    }

    /// Pushes an image of `layers` (each already a gzip tar) with a config
    /// naming `label`; its manifest bytes and digest, and the digests of
    /// its config and layers.
    pub fn image(&self, repo: &str, label: &str, layers: &[Vec<u8>]) -> Pushed {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"test":"{label}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let config_digest = self.blob(repo, config.as_bytes());
        let mut descriptors = Vec::new();
        let mut layer_digests = Vec::new();
        for layer in layers {
            let d = self.blob(repo, layer);
            descriptors.push(format!(
                r#"{{"mediaType":"{DOCKER_LAYER}","size":{},"digest":"{d}"}}"#,
                layer.len()
            ));
            layer_digests.push(d);
        }
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"{DOCKER_CONFIG}","size":{},"digest":"{config_digest}"}},"layers":[{}]}}"#,
            config.len(),
            descriptors.join(",")
        );
        let digest = self.manifest(repo, None, manifest.as_bytes(), DOCKER_MANIFEST);
        Pushed {
            manifest: manifest.into_bytes(),
            digest,
            config: config_digest,
            layers: layer_digests,
        }
    }
}

/// An image in the registry.
pub struct Pushed {
    pub manifest: Vec<u8>,
    pub digest: String,
    pub config: String,
    pub layers: Vec<String>,
}

/// A gzip tar of `files`.
pub fn gzip_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (path, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_673_548_192);
        h.set_cksum();
        tar.append_data(&mut h, path, *bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// `image-references` in the real shape (2-space indented, no trailing
/// newline): one tag per `(name, pull spec)`.
pub fn image_references(version: &str, components: &[(String, String)]) -> String {
    let tags: Vec<serde_json::Value> = components
        .iter()
        .map(|(name, pullspec)| {
            serde_json::json!({
                "name": name,
                "annotations": {
                    "io.openshift.build.commit.id": "",
                    "io.openshift.build.commit.ref": "",
                    "io.openshift.build.source-location": ""
                },
                "from": {"kind": "DockerImage", "name": pullspec},
                "generation": null,
                "importPolicy": {},
                "referencePolicy": {"type": ""}
            })
        })
        .collect();
    let doc = serde_json::json!({
        "kind": "ImageStream",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {
            "name": version,
            "creationTimestamp": "2023-01-12T18:29:52Z",
            "annotations": {"release.openshift.io/from-image-stream": "ocp/relsig-test"}
        },
        "spec": {"lookupPolicy": {"local": false}, "tags": tags},
        "status": {"dockerImageRepository": ""}
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

/// `release-metadata` in the real shape.
pub fn release_metadata(version: &str) -> String {
    format!(
        "{{\n  \"kind\": \"cincinnati-metadata-v0\",\n  \"version\": \"{version}\",\n  \"previous\": [\n    \"4.11.99\"\n  ],\n  \"metadata\": {{\n    \"url\": \"https://example.com/errata/{version}\"\n  }}\n}}"
    )
}

/// A release of `n` components pushed to `MIRROR_REPO`: the components
/// (tag name, manifest) and the release image.
pub struct TestRelease {
    pub version: String,
    pub components: Vec<(String, Pushed)>,
    pub release: Pushed,
}

impl TestRelease {
    /// Pushes `n` one-layer components and the release image naming them
    /// (pinned under `ART_DEV`).
    pub fn push(p: &Pusher, version: &str, n: usize) -> TestRelease {
        let mut components = Vec::new();
        for i in 0..n {
            let name = format!("component-{i:03}");
            let layer = gzip_tar(&[(&format!("usr/share/{name}"), name.as_bytes())]);
            components.push((name.clone(), p.image(MIRROR_REPO, &name, &[layer])));
        }
        let pins: Vec<(String, String)> = components
            .iter()
            .map(|(name, c)| (name.clone(), format!("{ART_DEV}@{}", c.digest)))
            .collect();
        let refs = image_references(version, &pins);
        let meta = release_metadata(version);
        let manifests = gzip_tar(&[
            (
                "release-manifests/0000_00_cluster-version-operator_00_namespace.yaml",
                b"kind: Namespace\n",
            ),
            ("release-manifests/image-references", refs.as_bytes()),
            ("release-manifests/release-metadata", meta.as_bytes()),
        ]);
        let base = gzip_tar(&[("usr/bin/cluster-version-operator", b"\x7fELF")]);
        let release = p.image(MIRROR_REPO, "release", &[base, manifests]);
        TestRelease {
            version: version.to_string(),
            components,
            release,
        }
    }
}

/// An ImageDigestMirrorSet mapping the release and component repositories
/// to `mirror` (as `oc adm release mirror` prints it), with an
/// ImageContentSourcePolicy of the same mapping as a second document.
pub fn idms(mirror: &str) -> String {
    format!(
        "apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: release-0
spec:
  imageDigestMirrors:
  - mirrors:
    - {mirror}
    source: {OCP_RELEASE}
  - mirrors:
    - {mirror}
    source: {ART_DEV}
---
apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata:
  name: release-0
spec:
  repositoryDigestMirrors:
  - mirrors:
    - {mirror}
    source: {OCP_RELEASE}
"
    )
}
