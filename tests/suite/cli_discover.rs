//! Installing and discovering relsig: the README's set-up uses the binary
//! `cargo install` puts on the PATH, shell completions complete, manual
//! pages cover every command and option, and `--help` examples survive
//! a copy and paste from an 80-column terminal.

use crate::common::{RUN_LIMIT, relsig, relsig_env, run_bounded};
use std::path::Path;
use std::process::Command;

/// Every command with a page and a `--help`, as typed.
const COMMANDS: [&str; 13] = [
    "",
    "standalone-verify",
    "digest",
    "verify",
    "fetch",
    "policy",
    "policy check",
    "policy lint",
    "policy machineconfig",
    "policy init",
    "inspect",
    "completions",
    "man",
];

fn help(command: &str, columns: &str) -> String {
    let mut args: Vec<&str> = command.split_whitespace().collect();
    args.push("--help");
    let run = relsig_env(&args, &[("COLUMNS", columns)]);
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
}

/// The long options `relsig COMMAND --help` lists, e.g. `--signature-store`.
fn long_options(command: &str) -> Vec<String> {
    help(command, "200")
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            // `-q, --quiet`: the long form after the short one.
            let l = match l.as_bytes() {
                [b'-', _, b',', b' ', ..] => &l[4..],
                _ => l,
            };
            l.strip_prefix("--").map(|o| {
                o.split([' ', '[', '=', '<'])
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
        })
        .filter(|o| !o.is_empty())
        .collect()
}

#[test]
fn man_pages_cover_every_command_and_option() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = relsig(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    for command in COMMANDS {
        let page = if command.is_empty() {
            "relsig.1".to_string()
        } else {
            format!("relsig-{}.1", command.replace(' ', "-"))
        };
        let text = std::fs::read_to_string(out.join(&page))
            .unwrap_or_else(|e| panic!("{page}: {e}\n{run:?}"));
        assert!(text.contains("\n.TH "), "{page} is not a manual page");
        assert!(run.stdout.contains(&page), "{run:?}");
        let options = long_options(command);
        assert!(
            options.contains(&"help".to_string()),
            "{command}: {options:?}"
        );
        for option in options {
            // roff spells a hyphen `\-`.
            let roff = format!("\\-\\-{}", option.replace('-', "\\-"));
            assert!(text.contains(&roff), "{page} lacks --{option}");
        }
    }
    // The page is what `man` reads: check it renders, when man is here.
    if Path::new("/usr/bin/man").exists() {
        let mut cmd = Command::new("/usr/bin/man");
        cmd.arg("-l")
            .arg(out.join("relsig-verify.1"))
            .env("MANPAGER", "cat");
        let rendered = run_bounded(&mut cmd, RUN_LIMIT).unwrap();
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("--signature-store"), "{text}");
    }
}

#[test]
fn completion_scripts_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let run = relsig(&["completions", shell]);
        assert_eq!(run.code, 0, "{run:?}");
        for word in [
            "standalone-verify",
            "verify",
            "fetch",
            "policy",
            "machineconfig",
            "inspect",
            "completions",
            "signature-store",
            "output",
        ] {
            assert!(run.stdout.contains(word), "{shell}: no {word}");
        }
    }
    assert!(
        relsig(&["completions", "zsh"])
            .stdout
            .starts_with("#compdef relsig")
    );
    assert!(
        relsig(&["completions", "fish"])
            .stdout
            .contains("complete -c relsig")
    );
}

#[test]
fn bash_completion_completes() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("relsig.bash");
    std::fs::write(&script, relsig(&["completions", "bash"]).stdout).unwrap();
    // What bash does on `relsig pol<TAB>` and `relsig policy <TAB>`.
    let probe = format!(
        "source {}\n\
         COMP_WORDS=(relsig pol); COMP_CWORD=1; _relsig relsig pol relsig; echo \"1:${{COMPREPLY[*]}}\"\n\
         COMP_WORDS=(relsig policy ''); COMP_CWORD=2; _relsig relsig '' policy; echo \"2:${{COMPREPLY[*]}}\"\n",
        script.display()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("--norc").arg("-c").arg(probe);
    let out = run_bounded(&mut cmd, RUN_LIMIT).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1:policy"), "{text}");
    let second = text.lines().find(|l| l.starts_with("2:")).unwrap();
    for sub in ["check", "lint", "machineconfig", "init"] {
        assert!(second.split_whitespace().any(|w| w == sub), "{text}");
    }
}

#[test]
fn help_examples_are_not_wrapped_in_80_columns() {
    for command in COMMANDS {
        let wide = help(command, "200");
        let narrow = help(command, "80");
        // Every example command line (and its continuation lines) of the
        // wide help must appear whole in the 80-column help: a line wrapped
        // in the middle of a command does not paste.
        let mut continued = false;
        for line in wide.lines() {
            let t = line.trim_start();
            let command_line = continued || t.starts_with("relsig ") || t.starts_with("oc ");
            continued = command_line && line.ends_with('\\');
            if command_line {
                assert!(
                    line.len() <= 80,
                    "{command}: {line:?} is wider than 80 columns"
                );
                assert!(
                    narrow.lines().any(|l| l == line),
                    "relsig {command} --help wraps {line:?} at 80 columns"
                );
            }
        }
    }
}

/// The README section whose title starts with `title`.
fn readme_section(title: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find(&format!("\n## {title}"))
        .unwrap_or_else(|| panic!("README has no section {title:?}"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

/// The shell commands of the first ```sh block of `section`, with `\`
/// continuations joined.
fn first_sh_block(section: &str) -> Vec<String> {
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a ```sh block");
    block
        .replace("\\\n", " ")
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn readme_setup_installs_relsig_and_uses_the_installed_command() {
    let install = first_sh_block(&readme_section("Install"));
    assert!(
        install.contains(&"cargo install --path . --locked".to_string()),
        "{install:?}"
    );
    let setup_section = readme_section("Set-up");
    // One command: install, then run the installed binary.
    let setup: Vec<String> = first_sh_block(&setup_section)
        .iter()
        .flat_map(|l| l.split(" && ").map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert_eq!(setup[0], "cargo install --path . --locked", "{setup:?}");
    let expected = setup_section
        .split("prints `")
        .nth(1)
        .and_then(|p| p.split('`').next())
        .expect("the set-up says what it prints");
    let commands: Vec<&String> = setup[1..].iter().collect();
    assert!(!commands.is_empty());
    for line in commands {
        // The installed command by its name, not `cargo run`.
        let args: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(args[0], "relsig", "{line}");
        let run = relsig(&args[1..]);
        assert_eq!(run.code, 0, "{line}: {run:?}");
        assert_eq!(run.stdout.trim_end(), expected, "{line}");
    }
}
