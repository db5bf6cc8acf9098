#!/usr/bin/env bash
# Prints the translation template for every file listed in po/POTFILES on stdout.
# Rust has no xgettext parser: the C parser reads gettext("..."), ngettext and pgettext calls,
# which is why translatable Rust strings are single literals without line continuations.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(grep -v -e '^#' -e '^$' po/POTFILES)
rust=() other=()
for file in "${files[@]}"; do
  case "$file" in
    *.rs) rust+=("$file") ;;
    *) other+=("$file") ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgettext --from-code=UTF-8 --add-comments=Translators --sort-by-file --no-wrap \
  --package-name=vistazo --msgid-bugs-address=https://github.com/vistazo/vistazo/issues \
  -o "$tmp/other.pot" "${other[@]}"
# Lifetimes ('a) look like unterminated character constants to the C parser, and attributes
# (#[error(...)], #[arg(help = ...)]) like preprocessor lines it skips: rewrite both, keeping
# every line where it is so the references stay right.
for file in "${rust[@]}"; do
  mkdir -p "$tmp/src/$(dirname "$file")"
  perl -pe "s/(?<![A-Za-z0-9_])'([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_'])/\$1/g; s/^(\s*)#(!?\[)/\$1 \$2/" "$file" > "$tmp/src/$file"
done
(cd "$tmp/src" && xgettext --from-code=UTF-8 --add-comments=Translators --sort-by-file --no-wrap -L C \
  --keyword=gettext --keyword=ngettext:1,2 --keyword=pgettext:1c,2 \
  --flag=gettext:1:no-c-format --flag=ngettext:1:no-c-format --flag=ngettext:2:no-c-format \
  --flag=pgettext:2:no-c-format \
  -o "$tmp/rust.pot" "${rust[@]}")
msgcat --use-first --sort-by-file --no-wrap "$tmp/other.pot" "$tmp/rust.pot" \
  | sed -e '/^"POT-Creation-Date:/d'
