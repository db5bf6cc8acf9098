#!/usr/bin/env bash
# Takes the screenshots the metainfo shows (comics.png, interiors.png, labeling.png, 1280x800)
# from the real app under Xvfb, on a collection of comics and photos of rooms it draws itself.
# Run from anywhere after `cargo build`:
#   data/screenshots/take-screenshots.sh [DISPLAY_NUMBER]
# Needs Xvfb, xdotool, ImageMagick and python3 (make deps installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."

vistazo=${VISTAZO:-${CARGO_TARGET_DIR:-target}/debug/vistazo}
display=":${1:-95}"
out=data/screenshots
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A small collection: one series of comics with drawn covers.
mkdir -p "$work/comics" "$work/photos"
colours=("#1d3557 #457b9d" "#6a040f #e85d04" "#283618 #a7c957" "#3c096c #c77dff" "#03045e #00b4d8" "#370617 #f48c06")
for n in 1 2 3 4 5 6; do
  read -r top bottom <<<"${colours[$((n - 1))]}"
  issue="$work/issue-$n"
  mkdir -p "$issue"
  convert -size 600x912 "gradient:$top-$bottom" \
    -font Cantarell-Extra-Bold -fill white -gravity north -pointsize 86 -annotate +0+50 "NIGHT\nHARBOR" \
    -pointsize 220 -gravity center -annotate +0+140 "#$n" "$issue/00-cover.jpg"
  for page in 1 2; do
    convert -size 600x912 "xc:#f4f1e8" -fill "#222" -draw "rectangle 40,40 560,440" \
      -draw "rectangle 40,470 290,872" -draw "rectangle 310,470 560,872" "$issue/0$page-page.jpg"
  done
  python3 -c 'import sys, zipfile, pathlib
with zipfile.ZipFile(sys.argv[1], "w") as archive:
    for page in sorted(pathlib.Path(sys.argv[2]).iterdir()):
        archive.write(page, page.name)' "$work/comics/Night Harbor 00$n.cbz" "$issue"
done

# Photos of rooms: walls, floor, a window and a sofa, some dim or noisy.
rooms=("#e9e4da #b08968 #ddd5c7 #9fc5e8 #6b705c 100" "#f1faee #8d6e63 #e0e8df #bde0fe #264653 100"
  "#fefae0 #a98467 #eae2c6 #caf0f8 #bc6c25 85" "#e5e5e5 #7f5539 #d6d6d6 #a2d2ff #3d405b 60"
  "#ede0d4 #9c6644 #e6ccb2 #90e0ef #7f4f24 100" "#d8e2dc #6d597a #c9d5cf #b8f2e6 #355070 45"
  "#fff1e6 #a47148 #f0e0d0 #cdb4db #588157 95" "#eae4e9 #7d5a50 #dcd3da #bee1e6 #b56576 70")
n=0
for room in "${rooms[@]}"; do
  read -r wall floor side window sofa light <<<"$room"
  n=$((n + 1))
  noise=()
  [ "$light" -lt 70 ] && noise=(-attenuate 0.6 +noise Gaussian)
  convert -size 1200x800 "xc:$wall" \
    -fill "$floor" -draw "polygon 0,800 1200,800 960,560 240,560" \
    -fill "$side" -draw "polygon 0,0 240,140 240,560 0,800" -draw "polygon 1200,0 960,140 960,560 1200,800" \
    -fill "$window" -draw "rectangle 480,200 720,430" -fill "$wall" -draw "rectangle 596,200 604,430" \
    -fill "$sofa" -draw "roundrectangle 360,500 840,640 24,24" -draw "roundrectangle 330,470 390,650 14,14" \
    -draw "roundrectangle 810,470 870,650 14,14" \
    -blur 0x1.2 -modulate "$light" "${noise[@]}" -quality 90 "$work/photos/room-$n.jpg"
done

db="$work/vistazo.db"
"$vistazo" --db "$db" scan "$work/comics" >/dev/null
"$vistazo" --db "$db" --model tests/fixtures/clip/tiny interiors import "$work/photos" >/dev/null
# Some photos already labelled, the rest waiting in the labeling view.
printf '%s\n' "path,label" "$work/photos/room-2.jpg,good" "$work/photos/room-3.jpg,medium" \
  "$work/photos/room-4.jpg,medium" "$work/photos/room-6.jpg,bad" >"$work/labels.csv"
"$vistazo" --db "$db" interiors import-labels "$work/labels.csv" >/dev/null
# A first model, so the Interiors page shows scores.
"$vistazo" --db "$db" interiors train >/dev/null

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp &
server=$!
sleep 2
mkdir -p "$work/config/glib-2.0/settings"
printf '[io/github/vistazo/Vistazo]\nwindow-width=1280\nwindow-height=800\n' \
  >"$work/config/glib-2.0/settings/keyfile"

shoot() {
  local page=$1 name=$2
  DISPLAY=$display GDK_BACKEND=x11 GSK_RENDERER=cairo GSETTINGS_BACKEND=keyfile NO_AT_BRIDGE=1 \
    LANG=C.UTF-8 XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
    XDG_CACHE_HOME="$work/cache" \
    dbus-run-session -- "$vistazo" --db "$db" --model tests/fixtures/clip/tiny gui --page "$page" 2>/dev/null &
  local app=$!
  DISPLAY=$display xdotool search --sync --name 'Vistazo$' >/dev/null
  # Let the database open, the photos be scored and the first covers and photos decode.
  sleep 10
  import -display "$display" -window root "$work/$name.png"
  convert "$work/$name.png" -strip -define png:compression-level=9 "$out/$name.png"
  kill "$app"
  wait "$app" 2>/dev/null || true
}
shoot comics comics
shoot interiors interiors
shoot label labeling
ls -l "$out"/*.png
