//! Walking folder trees: the one walk behind scanning comics and importing interior photos.
//!
//! Links are followed, to folders and to files alike, but every folder and every file is met
//! once, known by its device and inode: a link back up the tree leads to a folder already
//! walked and is passed over, and a second link to a file does not list it again. The order
//! is fixed: the roots as given, then depth first, files before subfolders, names in natural
//! order. A folder that cannot be listed is reported and left out; the walk goes on. Names
//! [`is_junk`] recognises (hidden files, `__MACOSX`, `Thumbs.db`) are left out.
//!
//! The walk only lists: it never opens a file, and it decides nothing about what a file is.

use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::cover::{is_junk, natural_order};

/// What the walk met: a folder it listed, or one it could not.
#[derive(Debug)]
pub enum Visit {
    Folder(Folder),
    /// A folder that could not be listed (no permission, gone since its parent was listed).
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// One folder's listing.
#[derive(Debug)]
pub struct Folder {
    pub path: PathBuf,
    /// Its files, links to files included, in natural order of their names. Only regular
    /// files: a pipe or a device is not a file to read, whatever its name.
    pub files: Vec<PathBuf>,
    /// How many folders it holds, links to folders included, walked here or elsewhere.
    pub subfolders: usize,
    /// Its entries that lead nowhere: dangling links, links to themselves, entries gone
    /// since the folder was listed.
    pub broken: Vec<(PathBuf, std::io::Error)>,
}

/// The folders under some roots, as an iterator of [`Visit`]s; see the module documentation.
/// A caller that stops early (a cancelled job) simply stops iterating.
#[derive(Debug)]
pub struct FolderWalk {
    /// Folders still to list; the last one is listed next.
    pending: Vec<PathBuf>,
    /// Device and inode of every folder listed so far.
    folders_seen: HashSet<(u64, u64)>,
    /// Device and inode of every file listed so far.
    files_seen: HashSet<(u64, u64)>,
}

impl FolderWalk {
    /// A walk of the folders `roots`, in that order. A root that is not a folder comes back as
    /// [`Visit::Unreadable`].
    pub fn new(roots: &[PathBuf]) -> Self {
        Self {
            pending: roots.iter().rev().cloned().collect(),
            folders_seen: HashSet::new(),
            files_seen: HashSet::new(),
        }
    }

    fn list(&mut self, path: PathBuf) -> Visit {
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(error) => return Visit::Unreadable { path, error },
        };
        let mut files = Vec::new();
        let mut subfolders = Vec::new();
        let mut broken = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => return Visit::Unreadable { path, error },
            };
            if is_junk(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let entry_path = entry.path();
            // `metadata` follows links; a dangling one or a loop of links fails here.
            let metadata = match std::fs::metadata(&entry_path) {
                Ok(metadata) => metadata,
                Err(error) => {
                    broken.push((entry_path, error));
                    continue;
                }
            };
            if metadata.is_dir() {
                subfolders.push(entry_path);
            } else if metadata.is_file() && self.files_seen.insert(identity(&metadata)) {
                files.push(entry_path);
            }
        }
        let by_name =
            |a: &PathBuf, b: &PathBuf| natural_order(&a.to_string_lossy(), &b.to_string_lossy());
        files.sort_by(by_name);
        broken.sort_by(|(a, _), (b, _)| by_name(a, b));
        subfolders.sort_by(by_name);
        let count = subfolders.len();
        // Depth first: the last pushed is listed next, so the first by name goes last.
        self.pending.extend(subfolders.into_iter().rev());
        Visit::Folder(Folder {
            path,
            files,
            subfolders: count,
            broken,
        })
    }
}

impl Iterator for FolderWalk {
    type Item = Visit;

    fn next(&mut self) -> Option<Visit> {
        while let Some(path) = self.pending.pop() {
            let metadata = match std::fs::metadata(&path) {
                Ok(metadata) => metadata,
                Err(error) => return Some(Visit::Unreadable { path, error }),
            };
            if !metadata.is_dir() {
                return Some(Visit::Unreadable {
                    path,
                    error: std::io::Error::from(std::io::ErrorKind::NotADirectory),
                });
            }
            if self.folders_seen.insert(identity(&metadata)) {
                return Some(self.list(path));
            }
        }
        None
    }
}

/// What a file or folder is, whatever the path it was reached by.
fn identity(metadata: &Metadata) -> (u64, u64) {
    (metadata.dev(), metadata.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(roots: &[PathBuf]) -> Vec<String> {
        let base = roots[0].clone();
        let name = |path: &PathBuf| {
            path.strip_prefix(&base)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned()
        };
        FolderWalk::new(roots)
            .flat_map(|visit| match visit {
                Visit::Folder(folder) => {
                    let mut lines = vec![format!("{}/", name(&folder.path))];
                    lines.extend(folder.files.iter().map(name));
                    lines.extend(folder.broken.iter().map(|(p, _)| format!("! {}", name(p))));
                    lines
                }
                Visit::Unreadable { path, .. } => vec![format!("? {}", name(&path))],
            })
            .collect()
    }

    #[test]
    fn links_are_followed_once_in_a_fixed_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        for folder in ["b", "a10", "a2", "a2/inner"] {
            std::fs::create_dir(root.join(folder)).unwrap();
        }
        for file in [
            "z.txt",
            "a2/x 10.cbz",
            "a2/x 9.cbz",
            "b/.hidden",
            "a2/inner/y",
        ] {
            std::fs::write(root.join(file), b"").unwrap();
        }
        std::os::unix::fs::symlink("..", root.join("a2/inner/up")).unwrap();
        std::os::unix::fs::symlink("../z.txt", root.join("b/z again.txt")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("b/gone")).unwrap();
        std::os::unix::fs::symlink("self", root.join("b/self")).unwrap();
        assert_eq!(
            listed(&[root.clone(), root.join("a2")]),
            [
                "/",
                "z.txt",
                "a2/",
                "a2/x 9.cbz",
                "a2/x 10.cbz",
                "a2/inner/",
                "a2/inner/y",
                "a10/",
                "b/",
                "! b/gone",
                "! b/self",
            ]
        );
    }

    #[test]
    fn a_root_that_is_not_a_folder_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let visits: Vec<Visit> = FolderWalk::new(&[file, dir.path().join("missing")]).collect();
        assert!(
            matches!(
                &visits[..],
                [Visit::Unreadable { .. }, Visit::Unreadable { .. }]
            ),
            "{visits:?}"
        );
    }
}
