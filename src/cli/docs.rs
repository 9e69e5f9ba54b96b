//! `relsig completions` and `relsig man`: shell completion scripts
//! (clap_complete) and manual pages (clap_mangen), both generated from the
//! same clap definitions as `--help`, so they cannot drift from it.

use super::Cli;
use anyhow::Context as _;
use clap::CommandFactory as _;
use clap_complete::Shell;
use relsig::status::Status;
use std::path::{Path, PathBuf};

pub const COMPLETIONS_EXAMPLES: &str = "Examples:
  # bash, for the current user:
  mkdir -p ~/.local/share/bash-completion/completions
  relsig completions bash > ~/.local/share/bash-completion/completions/relsig

  # zsh (a directory on $fpath):
  relsig completions zsh > ~/.zfunc/_relsig

  # fish:
  relsig completions fish > ~/.config/fish/completions/relsig.fish";

pub const MAN_EXAMPLES: &str = "Examples:
  # For the current user (man finds ~/.local/share/man):
  relsig man --dir ~/.local/share/man/man1
  man relsig-verify

  # System-wide:
  sudo relsig man --dir /usr/local/share/man/man1";

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// The directory to write the pages into (created if missing), e.g.
    /// ~/.local/share/man/man1.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
}

pub fn run_completions(args: CompletionsArgs) -> anyhow::Result<Status> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "relsig", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(Status::Verified)
}

pub fn run_man(args: ManArgs) -> anyhow::Result<Status> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building gives every subcommand its display name (`relsig-policy-check`),
    // which names its page.
    cmd.build();
    let mut written = Vec::new();
    write_pages(&cmd, &args.dir, &mut written)?;
    if !super::output::quiet() {
        for p in &written {
            outln!("wrote {}", p.display());
        }
    }
    Ok(Status::Verified)
}

/// The page of `cmd` and of each of its subcommands, recursively.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)
        .with_context(|| format!("cannot render {}", path.display()))?;
    relsig::io::write_file_atomically(&path, &page)
        .with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
