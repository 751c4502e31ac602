//! The `actuals` target's input: one byte string cut into the files of an actuals folder
//! and an as-of date, so that a byte-level fuzzer reaches every reader of the folder.
//!
//! A section opens with a line `@@firms`, `@@events`, `@@payments`, `@@observations` or
//! `@@as_of`; its bytes, up to the next such line, are that file's (for `as_of`, the
//! date's text). A file without a section is absent from the folder; bytes before the
//! first section are ignored; a later section of the same name replaces an earlier one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use policysim::actuals::AsOfRun;
use policysim::engine::Model;
use policysim::scenario::LoadedScenario;

use crate::outcome;

/// The folder's files, in the order the sections name them.
pub const FILES: [&str; 4] = ["firms", "events", "payments", "observations"];

/// An input cut into its sections.
#[derive(Debug, Default)]
pub struct Folder<'a> {
    /// Per file of [`FILES`], its bytes if the input has its section.
    pub files: [Option<&'a [u8]>; 4],
    pub as_of: Option<&'a [u8]>,
}

/// Cuts `bytes` into sections (see the module's comment).
pub fn cut(bytes: &[u8]) -> Folder<'_> {
    let mut folder = Folder::default();
    let mut open: Option<(&[u8], usize)> = None; // (name, first byte of the body)
    let mut at = 0;
    let mut sections: Vec<(&[u8], usize, usize)> = Vec::new();
    while at <= bytes.len() {
        let line_end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |k| at + k);
        let line = &bytes[at..line_end];
        if let Some(name) = line.strip_prefix(b"@@") {
            if let Some((name, body)) = open {
                sections.push((name, body, at));
            }
            open = Some((name, (line_end + 1).min(bytes.len())));
        }
        at = line_end + 1;
    }
    if let Some((name, body)) = open {
        sections.push((name, body, bytes.len()));
    }
    for (name, from, to) in sections {
        let body = &bytes[from..to.max(from)];
        if name == b"as_of" {
            folder.as_of = Some(body);
        } else if let Some(k) = FILES.iter().position(|f| f.as_bytes() == name) {
            folder.files[k] = Some(body);
        }
    }
    folder
}

/// The folder of this process the target writes its files into.
fn folder_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = outcome::workdir().join("actuals");
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        dir
    })
}

/// The scenario every fuzzed folder is read against: the shipped baseline.
fn baseline() -> &'static LoadedScenario {
    static BASELINE: OnceLock<LoadedScenario> = OnceLock::new();
    BASELINE.get_or_init(|| {
        policysim::scenario::load(&outcome::workdir().join("baseline.toml"))
            .expect("the shipped baseline loads")
    })
}

/// Writes the input's folder, reads it as of its date the way `policysim run --actuals
/// DIR --as-of DATE` does, and checks the outcome: a refusal names the folder's file (and
/// the date's is clap's), an accepted folder runs two replications from its state whose
/// every output number is finite, with no negative outlay.
pub fn check(bytes: &[u8]) {
    let folder = cut(bytes);
    let dir = folder_dir();
    for (name, body) in FILES.iter().zip(folder.files) {
        let path = dir.join(format!("{name}.csv"));
        match body {
            Some(body) => std::fs::write(&path, body).expect("the temporary folder is writable"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let text = String::from_utf8_lossy(folder.as_of.unwrap_or(b"2026-03-31"));
    // What clap refuses never reaches the reader.
    let Ok(as_of) = policysim::cli::parse_date(text.trim_end_matches(['\n', '\r'])) else {
        return;
    };
    let s = &baseline().scenario;
    match AsOfRun::resolve(Some(dir), Some(as_of), s) {
        Err(e) => {
            assert!(
                e.message.contains(&dir.display().to_string()),
                "a refusal that does not name the folder's file: {}",
                e.message
            );
        }
        Ok(None) => panic!("--actuals and --as-of were both given"),
        Ok(Some(run)) => {
            let model = Model::starting(s, Some(&run));
            outcome::run_model_and_check(&model, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_cut_at_their_opening_lines() {
        let f = cut(b"junk\n@@as_of\n2026-03-31\n@@events\na,b\n1,2\n@@nothing\nx\n@@firms\n");
        assert_eq!(f.as_of, Some(&b"2026-03-31\n"[..]));
        assert_eq!(f.files[1], Some(&b"a,b\n1,2\n"[..]));
        assert_eq!(f.files[0], Some(&b""[..]));
        assert_eq!(f.files[2], None);
    }
}
