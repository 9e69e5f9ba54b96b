//! GnuPG for the differential suite: keys made by `gpg` itself (one
//! GnuPG home per key, so each key's state — expired, revoked — is its
//! own), signatures made by that home, and the per-key-file homes skopeo
//! verifies with (skopeo 1.9.3 has no `--public-key-file`: it reads
//! `$GNUPGHOME`). Every gpg run is bounded by the common helper.

use crate::common::run_bounded;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Key generation (RSA-4096 included) and signing take well under this.
const GPG_LIMIT: Duration = Duration::from_secs(120);

/// `gpg` with `home` as its GnuPG home, no terminal, empty passphrases.
fn gpg(home: &Path) -> Command {
    let mut cmd = Command::new("gpg");
    cmd.arg("--homedir")
        .arg(home)
        .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
        .env_remove("GPG_AGENT_INFO")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd`, bounded; panics with gpg's stderr when it fails.
fn run(cmd: &mut Command) -> Vec<u8> {
    let out = run_bounded(cmd, GPG_LIMIT).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A fresh, private GnuPG home inside `parent`.
fn new_home(parent: &Path, name: &str) -> PathBuf {
    let home = parent.join(name);
    std::fs::create_dir(&home).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    home
}

/// Stops the gpg-agent a home may have started (signing starts one).
fn stop_agent(home: &Path) {
    let _ = run_bounded(
        Command::new("gpgconf")
            .arg("--homedir")
            .arg(home)
            .args(["--kill", "all"])
            .stdin(Stdio::null()),
        Duration::from_secs(20),
    );
}

/// Fingerprints of the primary keys (`pub`) and of the subkeys (`sub`)
/// in gpg's `--with-colons` listing, in order.
fn fingerprints(colons: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut primaries, mut subkeys) = (Vec::new(), Vec::new());
    let mut last = "";
    for line in String::from_utf8_lossy(colons).lines() {
        let fields: Vec<&str> = line.split(':').collect();
        match fields[0] {
            "pub" | "sub" => last = if fields[0] == "pub" { "pub" } else { "sub" },
            "fpr" if last == "pub" => primaries.push(fields[9].to_string()),
            "fpr" if last == "sub" => subkeys.push(fields[9].to_string()),
            _ => {}
        }
        if fields[0] == "fpr" {
            last = "";
        }
    }
    (primaries, subkeys)
}

/// One key made by gpg, in its own home, with its secret key to sign.
pub struct GpgKey {
    pub home: PathBuf,
    /// The primary key's fingerprint (upper-case hex, as gpg prints it).
    pub fpr: String,
    /// The signing subkey's fingerprint, for keys made with one.
    pub subkey: Option<String>,
}

/// How to make a key.
pub struct KeySpec<'a> {
    /// `--quick-gen-key` algorithm (`rsa2048`, `ed25519`, `nistp256`, …).
    pub algo: &'a str,
    /// `sign`, or `cert` for a certification-only primary.
    pub usage: &'a str,
    /// `never` or a gpg expiry (`1y`).
    pub expire: &'a str,
    /// A signing subkey of this algorithm.
    pub subkey: Option<&'a str>,
    /// `--faked-system-time` for the key's creation.
    pub at: Option<&'a str>,
}

impl GpgKey {
    pub fn generate(parent: &Path, name: &str, spec: &KeySpec<'_>) -> GpgKey {
        let home = new_home(parent, name);
        let faked = |cmd: &mut Command| {
            if let Some(t) = spec.at {
                cmd.arg("--faked-system-time").arg(t);
            }
        };
        let uid = format!("relsig differential {name} <{name}@example.org>");
        let mut cmd = gpg(&home);
        faked(&mut cmd);
        run(cmd
            .arg("--quick-gen-key")
            .arg(&uid)
            .args([spec.algo, spec.usage, spec.expire]));
        let (primaries, _) = fingerprints(&run(gpg(&home).args(["--with-colons", "--list-keys"])));
        let fpr = primaries[0].clone();
        let mut subkey = None;
        if let Some(algo) = spec.subkey {
            let mut cmd = gpg(&home);
            faked(&mut cmd);
            run(cmd
                .arg("--quick-add-key")
                .arg(&fpr)
                .args([algo, "sign", spec.expire]));
            let (_, subs) = fingerprints(&run(gpg(&home).args(["--with-colons", "--list-keys"])));
            subkey = subs.into_iter().next();
        }
        GpgKey { home, fpr, subkey }
    }

    /// The public key as `gpg --export` writes it (binary, or armored).
    pub fn export(&self, armor: bool) -> Vec<u8> {
        let mut cmd = gpg(&self.home);
        if armor {
            cmd.arg("--armor");
        }
        run(cmd.arg("--export").arg(&self.fpr))
    }

    /// The secret key as `gpg --export-secret-keys` writes it (unprotected).
    pub fn export_secret(&self) -> Vec<u8> {
        run(gpg(&self.home).arg("--export-secret-keys").arg(&self.fpr))
    }

    /// `payload` signed by this key (its signing subkey when it has one)
    /// with `gpg --sign` plus `args` (`--armor`, `--clearsign` instead of
    /// `--sign`, `--compress-algo`, `--faked-system-time`, …).
    pub fn sign(&self, payload: &[u8], args: &[&str]) -> Vec<u8> {
        let dir = tempfile::tempdir_in(&self.home).unwrap();
        let input = dir.path().join("payload");
        let output = dir.path().join("signature");
        std::fs::write(&input, payload).unwrap();
        let signer = format!("{}!", self.subkey.as_deref().unwrap_or(&self.fpr));
        let mut cmd = gpg(&self.home);
        cmd.args(["--yes", "--local-user", &signer, "--output"])
            .arg(&output);
        if !args
            .iter()
            .any(|a| matches!(*a, "--clearsign" | "--detach-sign" | "--sign"))
        {
            cmd.arg("--sign");
        }
        run(cmd.args(args).arg(&input));
        std::fs::read(&output).unwrap()
    }

    /// `payload` signed as [`GpgKey::sign`] does, read from standard input
    /// (gpg then writes the literal data with partial body lengths).
    pub fn sign_stdin(&self, payload: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir_in(&self.home).unwrap();
        let input = dir.path().join("payload");
        let output = dir.path().join("signature");
        std::fs::write(&input, payload).unwrap();
        let signer = format!("{}!", self.subkey.as_deref().unwrap_or(&self.fpr));
        let mut cmd = gpg(&self.home);
        cmd.args(["--yes", "--local-user", &signer, "--output"])
            .arg(&output)
            .arg("--sign")
            .stdin(std::fs::File::open(&input).unwrap());
        run(&mut cmd);
        std::fs::read(&output).unwrap()
    }

    /// Revokes the key with the revocation certificate gpg stored when it
    /// made the key (signatures made before stay as they are).
    pub fn revoke(&self) {
        let rev = self
            .home
            .join("openpgp-revocs.d")
            .join(format!("{}.rev", self.fpr));
        // gpg stores it with the armor line escaped by a colon so that a
        // stray import cannot revoke the key.
        let text = std::fs::read_to_string(&rev)
            .unwrap()
            .replace(":-----BEGIN", "-----BEGIN");
        let path = self.home.join("revocation.asc");
        std::fs::write(&path, text).unwrap();
        run(gpg(&self.home).arg("--import").arg(&path));
    }
}

impl Drop for GpgKey {
    fn drop(&mut self) {
        stop_agent(&self.home);
    }
}

/// A GnuPG home holding what `gpg --import` took from one key file: what
/// skopeo verifies against.
pub struct ImportHome {
    pub home: PathBuf,
    /// The primary keys gpg imported: what skopeo 1.12's `any` means.
    pub primaries: Vec<String>,
}

impl ImportHome {
    pub fn import(parent: &Path, name: &str, key_file: &[u8]) -> ImportHome {
        let home = new_home(parent, name);
        let file = home.join("keys");
        std::fs::write(&file, key_file).unwrap();
        // gpg's verdict on the file is part of what is compared: a file
        // it refuses leaves the home empty, and skopeo then refuses.
        let _ = run_bounded(gpg(&home).arg("--import").arg(&file), GPG_LIMIT)
            .unwrap_or_else(|e| panic!("{e}"));
        let out = run_bounded(gpg(&home).args(["--with-colons", "--list-keys"]), GPG_LIMIT)
            .unwrap_or_else(|e| panic!("{e}"));
        let (primaries, _) = fingerprints(&out.stdout);
        ImportHome { home, primaries }
    }
}

impl Drop for ImportHome {
    fn drop(&mut self) {
        stop_agent(&self.home);
    }
}
