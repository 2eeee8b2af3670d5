//! Replays every committed fuzz input through its target on the stable toolchain, without
//! libFuzzer: the seed corpora `fuzz/corpus/TARGET/` and the crash inputs `fuzz/regressions/TARGET/`
//! (each a bug that was fixed). A file whose target panics fails the test, named. "Nothing
//! checked" is never success: every target must have a non-empty corpus, and the directories,
//! the libFuzzer binaries (`fuzz/fuzz_targets/TARGET.rs`, `[[bin]]` in `fuzz/Cargo.toml`) and
//! [`TARGETS`] must name the same targets.

use licet_fuzz_targets::{Target, TARGETS};
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The regular files of `dir`, sorted; `None` if `dir` does not exist.
fn files_in(dir: &Path) -> Option<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// The panic message of a failed run.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic without a message)".into())
}

/// Runs every file of the target's corpus and regressions under `root` (the fuzz directory);
/// returns the failures and how many files ran.
fn replay(root: &Path, target: &Target) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target.name);
        let files = match files_in(&dir) {
            Some(files) => files,
            None if kind == "regressions" => Vec::new(),
            None => {
                failures.push(format!("{}: missing", dir.display()));
                continue;
            }
        };
        if kind == "corpus" && files.is_empty() {
            failures.push(format!(
                "{}: empty, nothing would be checked",
                dir.display()
            ));
        }
        for file in files {
            let data = match std::fs::read(&file) {
                Ok(data) => data,
                Err(e) => {
                    failures.push(format!("{}: unreadable: {e}", file.display()));
                    continue;
                }
            };
            checked += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (target.run)(&data))) {
                failures.push(format!(
                    "{}: the target panicked: {}",
                    file.display(),
                    message(payload.as_ref())
                ));
            }
        }
    }
    (failures, checked)
}

fn check(name: &str) {
    let Some(target) = TARGETS.iter().find(|t| t.name == name) else {
        panic!("no target {name}");
    };
    let (failures, checked) = replay(&fuzz_dir(), target);
    assert!(
        failures.is_empty(),
        "{} of target {name}'s inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0, "target {name}: nothing checked");
    eprintln!("target {name}: {checked} inputs replayed");
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*

        #[test]
        fn every_target_has_a_replay_test() {
            let tested: BTreeSet<&str> = [$(stringify!($name)),*].into_iter().collect();
            let targets: BTreeSet<&str> = TARGETS.iter().map(|t| t.name).collect();
            assert_eq!(tested, targets, "add the new target to replay_tests!");
        }
    };
}

replay_tests!(
    license,
    inspect,
    keys,
    pkcs12,
    revocation,
    offline_request,
    offline_response,
    offline_release,
    clock_request,
    time_attestation,
    signed_response,
    ledger,
    audit,
    state,
    server,
    relay_request,
    lease,
    usage_report,
);

fn panics_on_x(data: &[u8]) {
    assert!(!data.starts_with(b"x"), "an input starting with x");
}

#[test]
fn the_replay_names_a_failing_file_and_refuses_an_empty_or_missing_corpus() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = Target {
        name: "fake",
        run: panics_on_x,
    };
    let (failures, checked) = replay(root.path(), &target);
    assert_eq!(checked, 0);
    assert!(
        failures[0].ends_with("corpus/fake: missing"),
        "{failures:?}"
    );
    let corpus = root.path().join("corpus/fake");
    std::fs::create_dir_all(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let (failures, _) = replay(root.path(), &target);
    assert!(
        failures[0].contains("empty, nothing would be checked"),
        "{failures:?}"
    );
    std::fs::write(corpus.join("fine"), b"ok").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay(root.path(), &target), (Vec::new(), 1));
    let regressions = root.path().join("regressions/fake");
    std::fs::create_dir_all(&regressions).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(regressions.join("crash-1"), b"xx").unwrap_or_else(|e| panic!("{e}"));
    let (failures, checked) = replay(root.path(), &target);
    assert_eq!(checked, 2);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0]
            .contains("regressions/fake/crash-1: the target panicked: an input starting with x"),
        "{failures:?}"
    );
}

/// The names of the entries of `dir` (files without `.rs` for the target sources).
fn names(dir: &Path, strip_rs: bool) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .map(|n| {
            if strip_rs {
                n.strip_suffix(".rs").unwrap_or(&n).to_owned()
            } else {
                n
            }
        })
        .collect()
}

#[test]
fn the_fuzz_package_names_every_target_and_no_other() {
    let targets: BTreeSet<String> = TARGETS.iter().map(|t| t.name.to_owned()).collect();
    let fuzz = fuzz_dir();
    assert_eq!(
        names(&fuzz.join("fuzz_targets"), true),
        targets,
        "fuzz/fuzz_targets/*.rs"
    );
    assert_eq!(names(&fuzz.join("corpus"), false), targets, "fuzz/corpus/*");
    let regressions = names(&fuzz.join("regressions"), false);
    assert!(
        regressions.is_subset(&targets),
        "fuzz/regressions/ has a directory of no target: {regressions:?}"
    );
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap_or_default();
    for target in &targets {
        assert!(
            manifest.contains(&format!("name = \"{target}\""))
                && manifest.contains(&format!("path = \"fuzz_targets/{target}.rs\"")),
            "fuzz/Cargo.toml has no [[bin]] {target}"
        );
        let source =
            std::fs::read_to_string(fuzz.join("fuzz_targets").join(format!("{target}.rs")))
                .unwrap_or_default();
        assert!(
            source.contains(&format!("licet_fuzz_targets::{target}(")),
            "fuzz/fuzz_targets/{target}.rs does not call licet_fuzz_targets::{target}"
        );
    }
}
