//! How runs over images are reported: text lines, one JSON document or
//! JUnit XML (`--output text|json|junit`), the summary line, and progress
//! on a terminal; also the document an input error becomes when JSON or
//! JUnit was asked for.
//!
//! A [`Batch`] is fed one image at a time (`begin`, `image`, `finish`), so
//! a run of any length is written as it goes: JSON images are printed as
//! they come (the run's status follows them), JUnit testcases are held in
//! an anonymous temporary file until the counts of the opening tag are
//! known.

use super::Format;
use relsig::signature::Reason;
use relsig::status::Status;
use serde::Serialize;
use std::io::{BufRead as _, BufWriter, Seek as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many images ended each way.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub verified: usize,
    pub rejected: usize,
    pub could_not_check: usize,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Verified => self.verified += 1,
            Status::Rejected => self.rejected += 1,
            Status::CouldNotCheck => self.could_not_check += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.verified + self.rejected + self.could_not_check
    }

    /// The status of the run: a rejection outranks a failure to check.
    pub fn status(&self) -> Status {
        let mut all = Vec::with_capacity(3);
        for (n, s) in [
            (self.verified, Status::Verified),
            (self.rejected, Status::Rejected),
            (self.could_not_check, Status::CouldNotCheck),
        ] {
            if n > 0 {
                all.push(s);
            }
        }
        Status::combine(all)
    }

    /// `12 verified, 1 NOT verified, 0 could not be checked`.
    pub fn line(&self) -> String {
        format!(
            "{} verified, {} NOT verified, {} could not be checked",
            self.verified, self.rejected, self.could_not_check
        )
    }
}

/// Where the text lines of a run go: stdout, unless stdout carries a
/// document (`fetch --to-configmap -`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextTo {
    Stdout,
    Stderr,
}

/// One image's entry in a report.
pub struct Entry<'a, J: Serialize> {
    /// The image as the user named it (the JUnit testcase name).
    pub name: &'a str,
    pub status: Status,
    /// The stable reason name (`ok`, `identity-mismatch`, …).
    pub reason: &'a str,
    pub message: &'a str,
    /// The text lines (each ending in a newline).
    pub text: &'a str,
    /// The image's object in the JSON document.
    pub json: &'a J,
}

/// The report of a run over images, written as it goes.
pub struct Batch {
    format: Format,
    text_to: TextTo,
    counts: Counts,
    /// What beyond the images decides the run's status (writing the
    /// ConfigMap failed: could not check; `release audit`: the release).
    also: Status,
    junit: Option<Junit>,
}

impl Batch {
    /// Starts the report of `command`; images are reported one by one
    /// as they are checked.
    pub fn begin(format: Format, command: &str, text_to: TextTo) -> anyhow::Result<Batch> {
        Batch::begin_as(format, command, text_to, "images")
    }

    /// [`begin`](Self::begin) for a run over other things than images:
    /// `array` names the JSON array of the entries (`components`).
    pub fn begin_as(
        format: Format,
        command: &str,
        text_to: TextTo,
        array: &str,
    ) -> anyhow::Result<Batch> {
        let junit = match format {
            Format::Junit => Some(Junit::new(command)?),
            _ => None,
        };
        if format == Format::Json {
            out!("{{\n  \"{array}\": [");
        }
        Ok(Batch {
            format,
            text_to,
            counts: Counts::default(),
            also: Status::Verified,
            junit,
        })
    }

    /// Reports one image.
    pub fn image<J: Serialize>(&mut self, entry: &Entry<'_, J>) -> anyhow::Result<()> {
        let first = self.counts.total() == 0;
        self.counts.add(entry.status);
        match self.format {
            Format::Text => {
                if entry.status != Status::Verified || !super::output::quiet() {
                    self.text(entry.text);
                }
            }
            Format::Json => {
                let pretty = serde_json::to_string_pretty(entry.json)?;
                let indented = pretty.replace('\n', "\n    ");
                out!("{}\n    {indented}", if first { "" } else { "," });
            }
            Format::Junit => {
                if let Some(j) = &mut self.junit {
                    j.case(entry)?;
                }
            }
        }
        Ok(())
    }

    /// Text that is not about one image (what `fetch` wrote), shown in
    /// text output only.
    pub fn note(&self, text: &str) {
        if self.format == Format::Text && !super::output::quiet() {
            self.text(text);
        }
    }

    /// Records a failure that is not one image's (already printed on
    /// stderr): the run ends as could-not-check at best.
    pub fn fail(&mut self) {
        self.include(Status::CouldNotCheck);
    }

    /// Counts `status` in the run's status, as if of an entry not shown.
    pub fn include(&mut self, status: Status) {
        self.also = Status::combine([self.also, status]);
    }

    fn text(&self, text: &str) {
        match self.text_to {
            TextTo::Stdout => out!("{text}"),
            TextTo::Stderr => super::output::stderr(format_args!("{text}")),
        }
    }

    /// Ends the report: the summary line, or the end of the JSON document
    /// (with `extra` members before the run's status), or the JUnit XML.
    /// Returns the status of the run.
    pub fn finish(
        self,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> anyhow::Result<Status> {
        let status = Status::combine([self.counts.status(), self.also]);
        match self.format {
            Format::Text => {
                // The summary line after a batch (text, more than one
                // image, not quiet).
                if self.counts.total() > 1 && !super::output::quiet() {
                    self.text(&format!("{}\n", self.counts.line()));
                }
            }
            Format::Json => {
                let mut tail = extra;
                tail.insert("summary".into(), serde_json::to_value(self.counts)?);
                tail.insert("status".into(), serde_json::to_value(status)?);
                tail.insert("verified".into(), (status == Status::Verified).into());
                tail.insert("exit_code".into(), status.exit_code().into());
                let tail = serde_json::to_string_pretty(&tail)?;
                // The members of `tail`, after the images array.
                let members = tail
                    .trim_start_matches('{')
                    .trim_end_matches('}')
                    .trim_end();
                let close = if self.counts.total() == 0 {
                    "]"
                } else {
                    "\n  ]"
                };
                outln!("{close},{members}\n}}");
            }
            Format::Junit => {
                if let Some(j) = self.junit {
                    j.finish()?;
                }
            }
        }
        Ok(status)
    }
}

/// The document for a command that failed before it could report (bad
/// arguments, unreadable input), in the format asked for; nothing for
/// text, whose error is the stderr line. Written only when stdout is still
/// empty, so stdout never holds two documents.
pub fn error_document(format: Format, command: &str, reason: Reason, message: &str) {
    if super::output::stdout_used() {
        return;
    }
    let status = Status::CouldNotCheck;
    match format {
        Format::Text => {}
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                status: Status,
                verified: bool,
                exit_code: u8,
                reason: Reason,
                message: &'a str,
            }
            let doc = Doc {
                status,
                verified: false,
                exit_code: status.exit_code(),
                reason,
                message,
            };
            if let Ok(json) = serde_json::to_string_pretty(&doc) {
                outln!("{json}");
            }
        }
        Format::Junit => {
            let mut j = Junit::header(command, 1, 0, 1);
            j.push_str(&format!(
                "  <testcase name=\"{}\" classname=\"{}\">\n    <error type=\"{}\" message=\"{}\"/>\n  </testcase>\n</testsuite>\n",
                attr(&format!("relsig {command}")),
                attr(command),
                attr(reason.as_str()),
                attr(message),
            ));
            out!("{j}");
        }
    }
}

/// JUnit XML: one `<testsuite>` named after the command, one `<testcase>`
/// per image (name: the image, classname: the command), a `<failure>` for
/// a rejected image, an `<error>` for one that could not be checked, and
/// the text lines as `<system-out>`.
struct Junit {
    command: String,
    cases: BufWriter<std::fs::File>,
    counts: Counts,
}

impl Junit {
    fn new(command: &str) -> anyhow::Result<Junit> {
        let file = tempfile::tempfile()
            .map_err(|e| anyhow::anyhow!("cannot create a temporary file for JUnit output: {e}"))?;
        Ok(Junit {
            command: command.to_string(),
            cases: BufWriter::new(file),
            counts: Counts::default(),
        })
    }

    fn header(command: &str, tests: usize, failures: usize, errors: usize) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n",
            attr(&format!("relsig {command}"))
        )
    }

    fn case<J: Serialize>(&mut self, e: &Entry<'_, J>) -> anyhow::Result<()> {
        self.counts.add(e.status);
        let mut x = format!(
            "  <testcase name=\"{}\" classname=\"{}\">\n",
            attr(e.name),
            attr(&self.command)
        );
        let element = match e.status {
            Status::Verified => None,
            Status::Rejected => Some("failure"),
            Status::CouldNotCheck => Some("error"),
        };
        if let Some(el) = element {
            x.push_str(&format!(
                "    <{el} type=\"{}\" message=\"{}\"/>\n",
                attr(e.reason),
                attr(e.message)
            ));
        }
        x.push_str(&format!(
            "    <system-out>{}</system-out>\n  </testcase>\n",
            text(e.text)
        ));
        self.cases
            .write_all(x.as_bytes())
            .map_err(|err| anyhow::anyhow!("cannot hold JUnit output in a temporary file: {err}"))
    }

    fn finish(self) -> anyhow::Result<()> {
        let c = self.counts;
        out!(
            "{}",
            Junit::header(&self.command, c.total(), c.rejected, c.could_not_check)
        );
        let spool = |e: std::io::Error| anyhow::anyhow!("cannot read back the JUnit output: {e}");
        let mut file = self.cases.into_inner().map_err(|e| spool(e.into_error()))?;
        file.rewind().map_err(spool)?;
        for line in std::io::BufReader::new(file).lines() {
            outln!("{}", line.map_err(spool)?);
        }
        outln!("</testsuite>");
        Ok(())
    }
}

/// `s` as XML character data: markup escaped, and the characters XML 1.0
/// cannot carry at all (most control characters) replaced.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// `s` as an XML attribute value (in double quotes); line breaks are kept
/// as character references, which attribute normalisation would otherwise
/// turn into spaces.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text(s).chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// The Char production of XML 1.0.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// `[3/12] image` on stderr, rewritten in place, while a batch runs; only
/// when stderr is a terminal (a log file must not fill with it), there is
/// more than one image, and neither `--quiet` nor `--debug` was given.
pub struct Progress {
    /// How many images the run has, when known before it starts (not for
    /// a list read from stdin or a pipe).
    total: Option<usize>,
    done: AtomicUsize,
    enabled: bool,
}

/// Image names are cut so that the line fits a narrow terminal: a wrapped
/// line cannot be rewritten.
const PROGRESS_NAME_CHARS: usize = 60;

impl Progress {
    pub fn new(total: Option<usize>, debug: bool) -> Progress {
        use std::io::IsTerminal as _;
        let enabled = total.is_none_or(|t| t > 1)
            && !debug
            && !super::output::quiet()
            && std::io::stderr().is_terminal();
        Progress {
            total,
            done: AtomicUsize::new(0),
            enabled,
        }
    }

    /// One more image is done.
    pub fn tick(&self, image: &str) {
        if !self.enabled {
            return;
        }
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let mut name: String = image.chars().take(PROGRESS_NAME_CHARS).collect();
        if name.len() < image.len() {
            name.push('…');
        }
        match self.total {
            Some(total) => super::output::stderr(format_args!("\r\x1b[K[{n}/{total}] {name}")),
            None => super::output::stderr(format_args!("\r\x1b[K[{n}] {name}")),
        }
    }

    /// Removes the progress line before the report is printed.
    pub fn clear(&self) {
        if self.enabled && self.done.load(Ordering::Relaxed) > 0 {
            super::output::stderr(format_args!("\r\x1b[K"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_and_run_status() {
        let mut c = Counts::default();
        assert_eq!(c.status(), Status::Verified);
        for _ in 0..12 {
            c.add(Status::Verified);
        }
        c.add(Status::Rejected);
        assert_eq!(
            c.line(),
            "12 verified, 1 NOT verified, 0 could not be checked"
        );
        assert_eq!(c.status(), Status::Rejected);
        let mut d = Counts::default();
        d.add(Status::Verified);
        d.add(Status::CouldNotCheck);
        assert_eq!(d.status(), Status::CouldNotCheck);
    }

    #[test]
    fn xml_escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(text("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(
            attr("say \"hi\"\n'x'"),
            "say &quot;hi&quot;&#10;&apos;x&apos;"
        );
        // NUL and ESC cannot appear in XML 1.0, not even as references.
        assert_eq!(text("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(text("ok\ttab"), "ok\ttab");
    }
}
