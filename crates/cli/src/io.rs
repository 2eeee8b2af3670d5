//! Files for the CLI: `-` as stdin/stdout, size-capped reads, secrets read into zeroizing memory,
//! atomic writes.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}

/// Opens an input: stdin for `-`, else a regular file only (a FIFO or device is refused at once,
/// never read into a hang; use `-` to read a pipe).
fn open(path: &Path) -> Result<Box<dyn Read>> {
    if path == Path::new("-") {
        Ok(Box::new(std::io::stdin().lock()))
    } else {
        let file = licet_verifier::state::open_regular(path)
            .with_context(|| format!("cannot read {}", display_name(path)))?;
        Ok(Box::new(file))
    }
}

/// Reads at most `limit + 1` bytes of a file (or stdin for `-`); the flag says whether it is
/// larger than `limit`.
pub fn read_capped(path: &Path, limit: u64) -> Result<(Vec<u8>, bool)> {
    let mut bytes = Vec::new();
    open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", display_name(path)))?;
    let over_limit = bytes.len() as u64 > limit;
    Ok((bytes, over_limit))
}

/// Reads a file, or stdin for `-`, refusing more than `limit` bytes without reading them all.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (bytes, over_limit) = read_capped(path, limit)?;
    if over_limit {
        bail!(
            "{} is larger than {limit} bytes; refusing to read it",
            display_name(path)
        );
    }
    Ok(bytes)
}

/// Reads a secret (private key, passphrase) into one buffer allocated up front, so no copy is
/// left behind in memory freed while a growing buffer was reallocated.
pub fn read_secret(path: &Path, limit: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut reader = open(path)?;
    // Sized from the file's length when known, so a small key does not cost a large buffer.
    let expected = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map_or(limit, |m| m.len() as usize);
    let mut buffer = Zeroizing::new(vec![0u8; expected.min(limit) + 1]);
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            // The buffer has one spare byte: filling it means more than expected.
            if filled > limit {
                bail!(
                    "{} is larger than {limit} bytes; refusing to read it",
                    display_name(path)
                );
            }
            bail!("{} changed while it was being read", display_name(path));
        }
        let read = reader
            .read(&mut buffer[filled..])
            .with_context(|| format!("cannot read {}", display_name(path)))?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    buffer.truncate(filled);
    Ok(buffer)
}

/// How to treat an existing destination file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse if it exists.
    Refuse,
    /// Replace it atomically.
    Replace,
}

/// A file written in full to a temporary name beside its destination, renamed into place by
/// [`StagedFile::commit`]. Dropped without commit, it leaves nothing behind.
pub struct StagedFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl StagedFile {
    /// Writes and syncs `bytes` with Unix mode `mode` (set before any byte is written).
    pub fn new(path: &Path, bytes: &[u8], mode: u32) -> Result<Self> {
        let dir = parent_dir(path);
        let mut temp = tempfile::Builder::new()
            .prefix(".licet-")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        set_mode(temp.as_file(), mode)
            .with_context(|| format!("cannot set the mode of a file in {}", dir.display()))?;
        temp.write_all(bytes)
            .and_then(|_| temp.as_file().sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(StagedFile {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// Renames the file into place and syncs the directory.
    pub fn commit(self, overwrite: Overwrite) -> Result<()> {
        let path = self.path;
        match overwrite {
            Overwrite::Replace => self.temp.persist(&path).map(|_| ()).map_err(|e| e.error),
            Overwrite::Refuse => self
                .temp
                .persist_noclobber(&path)
                .map(|_| ())
                .map_err(|e| e.error),
        }
        .with_context(|| match overwrite {
            Overwrite::Refuse if path.exists() => format!(
                "{} already exists; use --force to replace it",
                path.display()
            ),
            _ => format!("cannot write {}", path.display()),
        })?;
        sync_dir(&parent_dir(&path));
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically with Unix mode `mode`. `-` writes to stdout.
pub fn write_output(path: &Path, bytes: &[u8], mode: u32, overwrite: Overwrite) -> Result<()> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        return ignore_broken_pipe(out.write_all(bytes).and_then(|_| out.flush()));
    }
    StagedFile::new(path, bytes, mode)?.commit(overwrite)
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    // Windows: the file inherits the directory's ACL (documented in keys/README.md).
    Ok(())
}

/// Makes a rename durable. Best effort: some file systems cannot sync a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Prints to stdout; a closed pipe (`licet ... | head`) is not an error.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    ignore_broken_pipe(out.write_all(text.as_bytes()).and_then(|_| out.flush()))
}

/// Prints a line to stderr; a closed or full stderr is ignored rather than a panic.
pub fn print_stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

fn ignore_broken_pipe(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
