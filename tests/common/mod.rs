//! Test helpers: the real CNCF distribution registry (`docker-registry`)
//! on 127.0.0.1, pushing with skopeo, running the relsig binary with a
//! bound on its run time, and fixture paths.

#![allow(dead_code)]

pub mod cosign;
pub mod mirror;
pub mod release;

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const NOO_DIGEST: &str =
    "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";
pub const NOO_REPO: &str = "albo/aws-load-balancer-operator-bundle";
pub const NOO_IDENTITY: &str = "registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1";
pub const RELEASE_DIGEST: &str =
    "sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363";
pub const RELEASE_IDENTITY: &str = "quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64";
pub const RELEASE_KEY_2: &str = "567E347AD0044ADE55BA8A5F199E2F91FD431D51";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn noo_dir() -> PathBuf {
    fixtures().join("openshift/noo-bundle-image")
}

pub fn noo_signature(n: usize) -> Vec<u8> {
    std::fs::read(noo_dir().join(format!("signature-{n}"))).unwrap()
}

pub fn release_signature() -> Vec<u8> {
    std::fs::read(fixtures().join("openshift/ocp-4.15.0-x86_64/signature-1")).unwrap()
}

/// A path as a command-line argument (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Red Hat's documented files (`relsig policy init --redhat --out DIR`)
/// in a fresh directory.
pub fn policy_init() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let run = relsig(&["policy", "init", "--redhat", "--out", s(dir.path())]);
    assert_eq!(run.code, 0, "{run:?}");
    dir
}

/// `bytes` with one byte in the middle changed: still OpenPGP-shaped, but
/// the signature no longer verifies.
pub fn tampered(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let mid = b.len() / 2;
    b[mid] ^= 0x55;
    b
}

/// `/sha256=<hex>/signature-N`, the mirror layout path.
pub fn mirror_path(digest: &str, n: usize) -> String {
    format!("/{}/signature-{n}", digest.replacen(':', "=", 1))
}

/// `/<path>@sha256=<hex>/signature-N`: the noo bundle's signature N in the
/// lookaside layout.
pub fn lookaside_path(path: &str, n: usize) -> String {
    format!("/{path}@{}/signature-{n}", NOO_DIGEST.replacen(':', "=", 1))
}

/// A lookaside server holding the noo bundle's four signatures under
/// `path`.
pub fn noo_lookaside(path: &str) -> mirror::Mirror {
    let mirror = mirror::Mirror::start();
    for n in 1..=4 {
        mirror.put(
            &lookaside_path(path, n),
            mirror::Route::Body(noo_signature(n)),
        );
    }
    mirror
}

fn require_tool(path: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: these tests need the Debian packages docker-registry and skopeo (.ci/run installs them)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `cmd` with its output captured to files (so a chatty child cannot
/// block on a full pipe); kills it past `limit`. The one bounded-run loop
/// of the suite.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    run_bounded_to(cmd, limit, None)
}

/// [`run_bounded`] with stdout going to `stdout` instead of a file (the
/// returned stdout is then empty).
pub fn run_bounded_to(
    cmd: &mut Command,
    limit: Duration,
    stdout: Option<Stdio>,
) -> Result<Output, String> {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let stdout = stdout.unwrap_or_else(|| std::fs::File::create(&out_path).unwrap().into());
    let mut child = cmd
        .stdout(stdout)
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{cmd:?} did not finish within {limit:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&std::fs::read(&out_path).unwrap_or_default()),
                String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default())
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Output {
        status,
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap(),
    })
}

fn wait_bounded(cmd: &mut Command, limit: Duration) -> Output {
    run_bounded(cmd, limit).unwrap_or_else(|e| panic!("{e}"))
}

/// A `docker-registry` process on 127.0.0.1, killed on drop; it allows
/// deleting manifests and blobs (tests remove what a mirror lacks).
pub struct Registry {
    pub addr: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry; with `htpasswd`, it requires that user.
    pub fn start(htpasswd: Option<(&str, &str)>) -> Registry {
        Registry::start_with(htpasswd, None)
    }

    /// Starts a registry serving HTTPS with this certificate and key (PEM
    /// files) instead of plain HTTP.
    pub fn start_tls(cert: &Path, key: &Path) -> Registry {
        Registry::start_with(None, Some((cert, key)))
    }

    fn start_with(htpasswd: Option<(&str, &str)>, tls: Option<(&Path, &Path)>) -> Registry {
        require_tool("/usr/bin/docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        );
        // Under `http:`, so before any top-level section.
        if let Some((cert, key)) = tls {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
        }
        if let Some((user, password)) = htpasswd {
            let hash = bcrypt::hash(password, 5).unwrap();
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, format!("{user}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: relsig-test\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut registry = Registry { addr, child, dir };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "docker-registry exited ({status}): {}",
                    std::fs::read_to_string(self.dir.path().join("registry.log"))
                        .unwrap_or_default()
                );
            }
            if let Ok(mut s) = std::net::TcpStream::connect(&self.addr) {
                use std::io::{Read, Write};
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let _ = write!(s, "GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr);
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("docker-registry on {} did not start within 20s", self.addr);
    }

    /// Pushes the `dir:` image at `src` to `repo:tag` with skopeo.
    pub fn push(&self, src: &Path, repo_and_tag: &str, creds: Option<(&str, &str)>) {
        require_tool("/usr/bin/skopeo");
        let policy = self.dir.path().join("policy.json");
        std::fs::write(
            &policy,
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        let registries_d = self.dir.path().join("registries.d");
        std::fs::create_dir_all(&registries_d).unwrap();
        let mut cmd = Command::new("/usr/bin/skopeo");
        cmd.arg("--policy")
            .arg(&policy)
            .arg("--registries.d")
            .arg(&registries_d)
            .args(["copy", "--remove-signatures", "--dest-tls-verify=false"]);
        if let Some((u, p)) = creds {
            cmd.arg("--dest-creds").arg(format!("{u}:{p}"));
        }
        cmd.arg(format!("dir:{}", src.display()))
            .arg(format!("docker://{}/{repo_and_tag}", self.addr))
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        let out = wait_bounded(&mut cmd, Duration::from_secs(120));
        assert!(
            out.status.success(),
            "skopeo copy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `127.0.0.1:PORT/<repo>:<tag>`.
    pub fn image(&self, repo_and_tag: &str) -> String {
        format!("{}/{repo_and_tag}", self.addr)
    }

    /// Uploads `bytes` as a blob of `repo` (the Registry API's two-step
    /// upload: POST for a session, PUT with the digest); returns its
    /// digest.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        use sha2::Digest as _;
        let digest = format!("sha256:{:x}", sha2::Sha256::digest(bytes));
        let started = self.request("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], b"");
        assert_eq!(
            started.status, 202,
            "blob upload to {repo} not started: {started:?}"
        );
        let location = started.header("location").expect("upload Location");
        let path = location
            .strip_prefix(&format!("http://{}", self.addr))
            .unwrap_or(location);
        let sep = if path.contains('?') { '&' } else { '?' };
        let done = self.request(
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            bytes,
        );
        assert_eq!(done.status, 201, "blob {digest} not stored: {done:?}");
        digest
    }

    /// Stores `manifest` (of `media_type`) in `repo` under `tag`.
    pub fn put_manifest(&self, repo: &str, tag: &str, media_type: &str, manifest: &[u8]) {
        let done = self.request(
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Content-Type", media_type)],
            manifest,
        );
        assert_eq!(
            done.status, 201,
            "manifest {repo}:{tag} not stored: {done:?}"
        );
    }

    /// One plain HTTP/1.0 request to the registry, bounded in time.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.take(16 * 1024 * 1024).read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("HTTP response head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("HTTP status");
        RawResponse {
            status,
            head,
            body: raw[split + 4..].to_vec(),
        }
    }
}

/// A registry's answer to [`Registry::put_blob`]/[`Registry::put_manifest`].
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{}", self.head, String::from_utf8_lossy(&self.body))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One relsig run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// The `reason` field of the JSON report.
    pub fn reason(&self) -> String {
        self.json()["reason"]
            .as_str()
            .unwrap_or_else(|| panic!("no reason in {self:?}"))
            .to_string()
    }

    /// Asserts a JSON run ended with `reason`, `verified` and `code`.
    #[track_caller]
    pub fn assert(&self, reason: &str, code: i32) -> &Self {
        let json = self.json();
        assert_eq!(json["reason"], reason, "reason: {self:?}");
        assert_eq!(json["verified"], reason == "ok", "verified: {self:?}");
        assert_eq!(self.code, code, "exit code: {self:?}");
        self
    }

    /// The single image of a JSON report.
    pub fn image(&self) -> serde_json::Value {
        let doc = self.json();
        let images = doc["images"].as_array().expect("images array");
        assert_eq!(images.len(), 1, "{}", self.stdout);
        images[0].clone()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// How long one debug-build run of relsig may take before it counts as
/// a hang.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs relsig with `args` hermetically (see [`relsig_command`]), killing
/// it if it runs longer than [`RUN_LIMIT`].
pub fn relsig<S: AsRef<OsStr>>(args: &[S]) -> Run {
    relsig_env(args, &[])
}

/// [`relsig`] with extra environment variables (applied last, so they can
/// override the hermetic defaults).
pub fn relsig_env<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = relsig_command(home.path());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = wait_bounded(&mut cmd, RUN_LIMIT);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The relsig binary in an environment that shares nothing with the
/// machine: `home` as `$HOME`, no auth files or proxies, and the node
/// defaults relsig would read (`/etc/containers/policy.json`,
/// `/etc/containers/registries.d`, `/etc/containers/registries.conf` and
/// its drop-ins, the certs.d directories, the lookaside
/// `/var/lib/containers/sigstore`) moved to empty places under `home`,
/// so that what skopeo or podman left on this machine changes nothing.
pub fn relsig_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relsig"));
    let registries_d = home.join("registries.d");
    std::fs::create_dir_all(&registries_d).unwrap();
    let registries_conf = home.join("registries.conf");
    std::fs::write(&registries_conf, "").unwrap();
    let certs_d = home.join("certs.d");
    std::fs::create_dir_all(&certs_d).unwrap();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("RELSIG_POLICY", home.join("policy.json"))
        .env("RELSIG_REGISTRIES_D", &registries_d)
        .env("RELSIG_REGISTRIES_CONF", &registries_conf)
        .env("RELSIG_CERTS_D", &certs_d)
        .env(
            "RELSIG_DEFAULT_LOOKASIDE",
            format!("file://{}", home.join("sigstore").display()),
        )
        .stdin(Stdio::null());
    for var in [
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "DOCKER_CONFIG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A JSON auth file granting `user:password` for `registry`.
pub fn auth_file(dir: &Path, registry: &str, user: &str, password: &str) -> PathBuf {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let path = dir.join("auth.json");
    std::fs::write(
        &path,
        format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    path
}

/// A registries.d directory (made if missing) with one file naming `url`
/// as the lookaside of `scope` (written into the YAML as given, quotes
/// included).
pub fn registries_d(dir: &Path, scope: &str, url: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("test.yaml"),
        format!("docker:\n  {scope}:\n    lookaside: {url}\n"),
    )
    .unwrap();
}
