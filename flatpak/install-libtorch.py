#!/usr/bin/env python3
"""Installs libtorch from PyTorch's processor-only wheel into a prefix, for the Flatpak build.

    install-libtorch.py --prefix /app torch-*+cpu-*.whl

Vistazo links libtorch_cpu.so and runs the model on the processor. libtorch_cpu.so goes into
PREFIX/lib together with every library of the wheel it needs, directly or through another one:
the needed names are read from the ELF files themselves (their DT_NEEDED entries), so the same
script serves the x86_64 wheel (libc10.so, libgomp.so.1) and the aarch64 one, which brings its
own BLAS and compute libraries. A needed library that the wheel lacks must be one of the C and
C++ runtime libraries the GNOME runtime has; any other stops the build with its name, so a
wheel that expects more than it ships (a GPU build) is refused here rather than at start-up.
The wheel's other libraries (the Python bindings among them) are left out.

The wheel's libtorch.so only stands for libtorch_cpu.so in the processor build, so
PREFIX/lib/libtorch.so is written as a linker script saying the same: it is read only when
linking, never loaded.

The headers go into PREFIX/libtorch/include, with the version in PREFIX/libtorch/build-version, so
that torch-sys builds against them with LIBTORCH=PREFIX/libtorch and LIBTORCH_LIB=PREFIX. The
wheel's licences go into PREFIX/share/licenses/libtorch.
"""

import argparse
import pathlib
import re
import shutil
import struct
import sys
import zipfile

ENTRY = "libtorch_cpu.so"
# Where torch wheels keep shared libraries: their own, and those bundled by auditwheel.
LIBRARY_FOLDERS = ("torch/lib/", "torch.libs/")
# Needed by libtorch and provided by the GNOME runtime (glibc and GCC's runtime libraries).
RUNTIME = {
    "ld-linux-aarch64.so.1",
    "ld-linux-x86-64.so.2",
    "libc.so.6",
    "libdl.so.2",
    "libgcc_s.so.1",
    "libm.so.6",
    "libpthread.so.0",
    "librt.so.1",
    "libstdc++.so.6",
}
HEADERS = "torch/include/"
VERSION_FILE = "torch/version.py"
LICENCE = re.compile(r"^[^/]+\.dist-info/(licenses/.+|LICEN[CS]E[^/]*|License\.txt)$")

SHT_DYNAMIC = 6
DT_NULL = 0
DT_NEEDED = 1


def copy_member(archive: zipfile.ZipFile, name: str, target: pathlib.Path, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(name) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    target.chmod(mode)


def needed_libraries(path: pathlib.Path) -> list[str]:
    """The DT_NEEDED names of a 64-bit ELF shared library, what `readelf -d` lists as NEEDED."""
    with open(path, "rb") as elf:
        ident = elf.read(16)
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] not in (1, 2):
            raise SystemExit(f"{path} is not a 64-bit ELF file")
        order = "<" if ident[5] == 1 else ">"
        header = struct.unpack(order + "HHIQQQIHHHHHH", elf.read(48))
        section_offset, section_size, section_count = header[5], header[10], header[11]

        def section(index: int) -> tuple:
            elf.seek(section_offset + index * section_size)
            return struct.unpack(order + "IIQQQQIIQQ", elf.read(64))

        for index in range(section_count):
            _, kind, _, _, offset, size, link, *_ = section(index)
            if kind != SHT_DYNAMIC:
                continue
            _, _, _, _, strings_offset, strings_size, *_ = section(link)
            elf.seek(strings_offset)
            strings = elf.read(strings_size)
            elf.seek(offset)
            dynamic = elf.read(size)
            names = []
            for tag, value in struct.iter_unpack(order + "qQ", dynamic):
                if tag == DT_NULL:
                    break
                if tag == DT_NEEDED:
                    names.append(strings[value : strings.index(b"\0", value)].decode())
            return names
    return []


def torch_version(archive: zipfile.ZipFile) -> str:
    text = archive.read(VERSION_FILE).decode("utf-8")
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no __version__ in {VERSION_FILE}")
    return match.group(1)


def install_libraries(archive: zipfile.ZipFile, lib_dir: pathlib.Path) -> list[str]:
    """Copies libtorch_cpu.so and what it needs from the wheel; returns what it copied."""
    shipped = {
        pathlib.PurePosixPath(name).name: name
        for name in archive.namelist()
        if name.startswith(LIBRARY_FOLDERS) and not name.endswith("/")
    }
    if ENTRY not in shipped:
        raise SystemExit(f"the wheel has no {ENTRY}")
    copied = []
    wanted = [(ENTRY, None)]
    while wanted:
        library, needed_by = wanted.pop()
        if library in copied or library in RUNTIME:
            continue
        if library not in shipped:
            raise SystemExit(
                f"{needed_by} needs {library}, which neither the wheel nor the runtime provides:"
                " the Flatpak takes PyTorch's processor-only wheel"
            )
        target = lib_dir / library
        copy_member(archive, shipped[library], target, 0o755)
        copied.append(library)
        wanted.extend((name, library) for name in needed_libraries(target))
    return copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", required=True, type=pathlib.Path)
    parser.add_argument("wheel", type=pathlib.Path)
    args = parser.parse_args()

    lib_dir = args.prefix / "lib"
    libtorch_dir = args.prefix / "libtorch"
    licence_dir = args.prefix / "share" / "licenses" / "libtorch"
    version = None
    with zipfile.ZipFile(args.wheel) as archive:
        libraries = install_libraries(archive, lib_dir)
        for name in archive.namelist():
            if name.endswith("/"):
                continue
            if name.startswith(HEADERS):
                relative = pathlib.PurePosixPath(name).relative_to("torch")
                copy_member(archive, name, libtorch_dir / relative, 0o644)
            elif LICENCE.match(name):
                copy_member(archive, name, licence_dir / pathlib.PurePosixPath(name), 0o644)
            elif name == VERSION_FILE:
                version = torch_version(archive)

    if version is None or not (libtorch_dir / "include").is_dir():
        print(f"{args.wheel} is not a torch wheel", file=sys.stderr)
        return 1
    (libtorch_dir / "build-version").write_text(version + "\n", encoding="utf-8")
    (lib_dir / "libtorch.so").write_text(
        f"/* GNU ld script: libtorch of the processor build */\n"
        f"INPUT({lib_dir.resolve() / ENTRY})\n",
        encoding="utf-8",
    )
    print(f"libtorch {version} installed into {args.prefix}: {', '.join(sorted(libraries))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
