#!/usr/bin/env python3
"""Reads a .nupkg or .snupkg for tests/packaging/run, which makes the judgements; this only reports facts.

  nupkg.py nuspec PACKAGE          the nuspec's facts as KEY=VALUE lines: id, version, license_type, license, readme,
                                   repository_type, repository_url, repository_commit, package_types (space-separated)
  nupkg.py files PACKAGE           every file in the package, one per line (NuGet's own bookkeeping left out)
  nupkg.py text PACKAGE PATH       one file's text
  nupkg.py pdb-match NUPKG SNUPKG  for each lib/**.dll of NUPKG: "DLL PDB ok" when SNUPKG has the PDB whose id is the
                                   one the DLL's CodeView record names, else "DLL PDB missing" or "DLL PDB mismatch"
"""

import struct
import sys
import xml.etree.ElementTree as ET
import zipfile

BOOKKEEPING = ("_rels/", "package/", "[Content_Types].xml")


def names(package):
    with zipfile.ZipFile(package) as z:
        return [n for n in z.namelist() if not n.startswith(BOOKKEEPING) and not n.endswith("/")]


def read(package, path):
    with zipfile.ZipFile(package) as z:
        return z.read(path)


def nuspec(package):
    specs = [n for n in names(package) if "/" not in n and n.endswith(".nuspec")]
    if len(specs) != 1:
        sys.exit(f"{package}: expected one .nuspec at the root, found {specs}")
    root = ET.fromstring(read(package, specs[0]))
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    meta = root.find(f"{ns}metadata")

    def text(tag):
        node = meta.find(f"{ns}{tag}")
        return (node.text or "").strip() if node is not None else ""

    license_node = meta.find(f"{ns}license")
    repo = meta.find(f"{ns}repository")
    types = meta.findall(f"{ns}packageTypes/{ns}packageType")
    facts = {
        "id": text("id"),
        "version": text("version"),
        "license_type": license_node.get("type", "") if license_node is not None else "",
        "license": (license_node.text or "").strip() if license_node is not None else "",
        "readme": text("readme"),
        "repository_type": repo.get("type", "") if repo is not None else "",
        "repository_url": repo.get("url", "") if repo is not None else "",
        "repository_commit": repo.get("commit", "") if repo is not None else "",
        "package_types": " ".join(t.get("name", "") for t in types),
    }
    for key, value in facts.items():
        print(f"{key}={value}")


def pe_pdb_id(dll):
    """The portable PDB id (GUID) that a PE file's CodeView debug record names, or None."""
    e_lfanew = struct.unpack_from("<I", dll, 0x3C)[0]
    if dll[e_lfanew : e_lfanew + 4] != b"PE\0\0":
        return None
    coff = e_lfanew + 4
    sections, optional_size = struct.unpack_from("<H", dll, coff + 2)[0], struct.unpack_from("<H", dll, coff + 16)[0]
    optional = coff + 20
    magic = struct.unpack_from("<H", dll, optional)[0]
    directories = optional + (96 if magic == 0x10B else 112)
    debug_rva, debug_size = struct.unpack_from("<II", dll, directories + 6 * 8)
    table = optional + optional_size

    def offset(rva):
        for i in range(sections):
            s = table + i * 40
            vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", dll, s + 8)
            if vaddr <= rva < vaddr + max(vsize, rawsize):
                return rva - vaddr + rawptr
        return None

    start = offset(debug_rva)
    if start is None:
        return None
    for entry in range(start, start + debug_size, 28):
        kind, size, _, pointer = struct.unpack_from("<IIII", dll, entry + 12)
        if kind == 2 and dll[pointer : pointer + 4] == b"RSDS":  # CodeView
            return dll[pointer + 4 : pointer + 20]
    return None


def pdb_id(pdb):
    """The id of a portable PDB: the first 16 bytes of its #Pdb stream, or None if it is not a portable PDB."""
    if pdb[:4] != b"BSJB":
        return None
    length = struct.unpack_from("<I", pdb, 12)[0]
    at = 16 + length + 2
    streams = struct.unpack_from("<H", pdb, at)[0]
    at += 2
    for _ in range(streams):
        stream_offset, _size = struct.unpack_from("<II", pdb, at)
        end = pdb.index(b"\0", at + 8)
        name = pdb[at + 8 : end].decode("ascii")
        at = (end + 4) & ~3
        if name == "#Pdb":
            return pdb[stream_offset : stream_offset + 16]
    return None


def pdb_match(nupkg, snupkg):
    symbols = set(names(snupkg))
    dlls = [n for n in names(nupkg) if n.startswith("lib/") and n.endswith(".dll")]
    if not dlls:
        print("(no lib/**.dll) - missing")
    for dll in dlls:
        pdb = dll[:-4] + ".pdb"
        if pdb not in symbols:
            print(f"{dll} {pdb} missing")
            continue
        wanted, actual = pe_pdb_id(read(nupkg, dll)), pdb_id(read(snupkg, pdb))
        print(f"{dll} {pdb} {'ok' if wanted is not None and wanted == actual else 'mismatch'}")


def main(argv):
    if len(argv) >= 3 and argv[1] == "nuspec":
        nuspec(argv[2])
    elif len(argv) >= 3 and argv[1] == "files":
        print("\n".join(names(argv[2])))
    elif len(argv) >= 4 and argv[1] == "text":
        sys.stdout.write(read(argv[2], argv[3]).decode("utf-8-sig"))
    elif len(argv) >= 4 and argv[1] == "pdb-match":
        pdb_match(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
