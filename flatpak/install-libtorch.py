#!/usr/bin/env python3
"""Installs the CPU part of libtorch from the PyTorch wheels into a prefix, for the Flatpak build.

    install-libtorch.py --prefix /app torch-*.whl nvidia_cuda_runtime-*.whl nvidia_cuda_cupti-*.whl

The Linux torch wheel is a CUDA build. Vistazo only needs its CPU libraries: libtorch_cpu.so,
libc10.so and the libgomp.so.1 they were built with go into PREFIX/lib, together with the two
CUDA libraries that libtorch_cpu.so lists as needed (libcudart.so.13, libcupti.so.13; nothing is
computed with them). The wheel's libtorch.so would also pull in libtorch_cuda.so and every CUDA
library behind it, so PREFIX/lib/libtorch.so is written as a linker script that stands for
libtorch_cpu.so instead: it is only read when linking, never loaded.

The headers go into PREFIX/libtorch/include, with the version in PREFIX/libtorch/build-version, so
that torch-sys builds against them with LIBTORCH=PREFIX/libtorch and LIBTORCH_LIB=PREFIX. The
licences of the three wheels go into PREFIX/share/licenses/libtorch.
"""

import argparse
import pathlib
import re
import shutil
import sys
import zipfile

LIBRARIES = {
    "torch/lib/libtorch_cpu.so",
    "torch/lib/libc10.so",
    "torch/lib/libgomp.so.1",
    "nvidia/cu13/lib/libcudart.so.13",
    "nvidia/cu13/lib/libcupti.so.13",
}
HEADERS = "torch/include/"
VERSION_FILE = "torch/version.py"
LICENCE = re.compile(r"^[^/]+\.dist-info/(licenses/.+|LICEN[CS]E[^/]*|License\.txt)$")


def copy_member(archive: zipfile.ZipFile, name: str, target: pathlib.Path, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(name) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    target.chmod(mode)


def torch_version(archive: zipfile.ZipFile) -> str:
    text = archive.read(VERSION_FILE).decode("utf-8")
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no __version__ in {VERSION_FILE}")
    return match.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", required=True, type=pathlib.Path)
    parser.add_argument("wheels", nargs="+", type=pathlib.Path)
    args = parser.parse_args()

    lib_dir = args.prefix / "lib"
    libtorch_dir = args.prefix / "libtorch"
    licence_dir = args.prefix / "share" / "licenses" / "libtorch"
    found = set()
    version = None
    for wheel in args.wheels:
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.endswith("/"):
                    continue
                if name in LIBRARIES:
                    copy_member(archive, name, lib_dir / pathlib.PurePosixPath(name).name, 0o755)
                    found.add(name)
                elif name.startswith(HEADERS):
                    relative = pathlib.PurePosixPath(name).relative_to("torch")
                    copy_member(archive, name, libtorch_dir / relative, 0o644)
                elif LICENCE.match(name):
                    target = licence_dir / pathlib.PurePosixPath(name)
                    copy_member(archive, name, target, 0o644)
                elif name == VERSION_FILE:
                    version = torch_version(archive)

    missing = sorted(LIBRARIES - found)
    if missing:
        print(f"these wheels lack {', '.join(missing)}", file=sys.stderr)
        return 1
    if version is None or not (libtorch_dir / "include").is_dir():
        print("no torch wheel among the arguments", file=sys.stderr)
        return 1
    (libtorch_dir / "build-version").write_text(version + "\n", encoding="utf-8")
    (lib_dir / "libtorch.so").write_text(
        f"/* GNU ld script: libtorch without CUDA */\nINPUT({lib_dir.resolve() / 'libtorch_cpu.so'})\n",
        encoding="utf-8",
    )
    print(f"libtorch {version} (CPU) installed into {args.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
