#!/usr/bin/env bash
# Installs beside an installed vistazo binary the shared libraries it finds through its
# build-time RUNPATH (libtorch from the virtualenv's PyTorch, and, unless VISTAZO_CUDA=0, libtorch's
# CUDA half with the CUDA libraries it needs, which the binary loads at run time on a machine with
# an NVIDIA GPU), and points the binary's RUNPATH at them alone, so that the checkout and its
# virtualenv can go. The system's libraries, and those already under the install prefix (the
# Flatpak's libtorch), stay where they are.
#
# usage: bundle-libraries.sh BUILT_BINARY INSTALLED_BINARY LIBRARY_DIR PREFIX
# LIBRARY_DIR must be INSTALLED_BINARY's ../lib/vistazo, as the RUNPATH says.
set -euo pipefail
built=$1 installed=$2 libdir=$3 prefix=$4

mapfile -t libs < <(ldd "$built" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
	| grep -v -E '^(/usr)?/lib(64|32)?/' | grep -v -F "$prefix/" || true)
[ ${#libs[@]} -gt 0 ] || exit 0
# The binary does not link libtorch_cuda (it loads it when it finds a GPU): its closure is read
# from the library itself.
for lib in "${libs[@]}"; do
	cuda=$(dirname "$lib")/libtorch_cuda.so
	if [ "$(basename "$lib")" = libtorch_cpu.so ] && [ "${VISTAZO_CUDA:-1}" != 0 ] && [ -e "$cuda" ]; then
		mapfile -t -O "${#libs[@]}" libs < <(echo "$cuda"; ldd "$cuda" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
			| grep -v -E '^(/usr)?/lib(64|32)?/' | grep -v -F "$prefix/" || true)
		break
	fi
done
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)

install -d "$libdir"
declare -A dirs=()
for lib in "${libs[@]}"; do
	install -m644 "$lib" "$libdir/"
	dirs[$(dirname "$(readlink -f "$lib")")]=1
done
# A binary that runs CUDA also needs the libraries these load by name at run time, which ldd
# does not list: the CUDA libraries' companions (cuDNN's engines, NVRTC's builtins) and
# libtorch's CUDA linear algebra. (libtorch_cpu itself needs only libcudart and libcupti.)
[ -e "$libdir/libtorch_cuda.so" ] || dirs=()
for dir in "${!dirs[@]}"; do
	case "$dir" in
	*/nvidia/*)
		find "$dir" -maxdepth 1 -name '*.so*' \( -type f -o -type l \) -exec install -m644 {} "$libdir/" \;
		;;
	*)
		if [ -e "$dir/libtorch_cuda_linalg.so" ]; then
			install -m644 "$dir/libtorch_cuda_linalg.so" "$libdir/"
		fi
		;;
	esac
done
patchelf --set-rpath '$ORIGIN/../lib/vistazo' "$installed"
echo "Installed $(find "$libdir" -maxdepth 1 -type f | wc -l) libraries ($(du -sh "$libdir" | cut -f1)) in $libdir"
