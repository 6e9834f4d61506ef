"""Shared by export archives and backups: SHA-256 manifests, safe member names, zip checks.

Both kinds of archive are zip files holding `manifest.json` and the files it lists. The manifest
names every other file with its SHA-256 and size, and carries a checksum of itself
(`manifest_sha256`, over the canonical JSON of the rest), so a damaged or edited manifest is
caught as well as a damaged file. Checksums catch corruption and casual edits; someone who can
rewrite the archive can also recompute them, so keep archives where they cannot be rewritten.
"""

import hashlib
import json
import zipfile
import zlib
from collections import Counter
from pathlib import PurePosixPath

from norma.core.changelog import canonical_json

MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
# A fixed time for every member, so two archives of the same data hold the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ArchiveError(Exception):
    """An archive or backup is refused; the message says what is wrong, for people."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(manifest: dict) -> dict:
    """The manifest with its own checksum added as `manifest_sha256`."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return {**body, "manifest_sha256": sha256_bytes(canonical_json(body).encode())}


def manifest_bytes(manifest: dict) -> bytes:
    return (
        json.dumps(seal(manifest), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()


def member_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class ZipWriter:
    """Writes members into a zip and remembers each one's SHA-256 and size for the manifest."""

    def __init__(self, path, compresslevel: int = 6):
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.files: dict[str, dict] = {}

    def write_bytes(self, name: str, data: bytes):
        self.zip.writestr(member_info(name), data)
        self.files[name] = {"sha256": sha256_bytes(data), "size": len(data)}

    def write_stream(self, name: str, handle):
        self.write_chunks(name, iter(lambda: handle.read(CHUNK), b""))

    def write_chunks(self, name: str, chunks):
        digest, size = hashlib.sha256(), 0
        with self.zip.open(member_info(name), "w", force_zip64=True) as target:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        self.files[name] = {"sha256": digest.hexdigest(), "size": size}

    def finish(self, manifest: dict) -> dict:
        """Write the sealed manifest (listing every member written) and close the zip."""
        sealed = seal({**manifest, "files": dict(sorted(self.files.items()))})
        self.zip.writestr(member_info(MANIFEST), manifest_bytes(sealed))
        self.zip.close()
        return sealed


def is_safe_name(name: str) -> bool:
    """A relative POSIX path with no `..`, no empty part and no drive or backslash."""
    if not name or name.startswith("/") or "\\" in name or ":" in name or "\x00" in name:
        return False
    parts = PurePosixPath(name).parts
    return all(part not in ("", ".", "..") for part in parts) and "/".join(parts) == name


def open_zip(path, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such file.") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(
            f"{path} is not a readable {kind} (not a valid zip file: {error})."
        ) from None


def read_manifest(zf: zipfile.ZipFile, kind: str, label: str, supported_version: int) -> dict:
    """The archive's manifest, checked against itself; refuses anything else with a reason."""
    try:
        raw = zf.read(MANIFEST)
    except KeyError:
        raise ArchiveError(f"This is not a Norma {label}: {MANIFEST} is missing.") from None
    except (zipfile.BadZipFile, zlib.error, OSError) as error:
        raise ArchiveError(f"{MANIFEST} is corrupted ({error}).") from None
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(
            f"{MANIFEST} is not valid JSON ({error}); it was edited or damaged."
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ArchiveError(
            f"{MANIFEST} does not list the archive's files; it was edited or damaged."
        )
    if seal(manifest).get("manifest_sha256") != manifest.get("manifest_sha256"):
        raise ArchiveError(
            f"{MANIFEST} was edited or damaged after the {label} was written: its own checksum "
            "(manifest_sha256) does not match its content."
        )
    if manifest.get("format") != kind:
        raise ArchiveError(f"This is not a Norma {label} (format is {manifest.get('format')!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > supported_version:
        raise ArchiveError(
            f"This {label} has format version {version!r}; this Norma reads version "
            f"{supported_version} or older. Use the Norma version that wrote it, or a newer one."
        )
    return manifest


def check_members(zf: zipfile.ZipFile, manifest: dict):
    """Every listed file is present, nothing unlisted is present, and every name is safe."""
    names = [info.filename for info in zf.infolist() if not info.is_dir()]
    if len(names) != len(set(names)):
        twice = sorted(name for name, count in Counter(names).items() if count > 1)
        raise ArchiveError(f"The archive holds {_names(twice)} more than once; it was altered.")
    present = set(names) - {MANIFEST}
    listed = set(manifest["files"])
    for name in sorted(present | listed):
        if not is_safe_name(name):
            raise ArchiveError(f"The archive holds an unsafe file name: {name!r}.")
    if missing := sorted(listed - present):
        raise ArchiveError(
            f"{_names(missing)} listed in the manifest {_is_are(missing)} missing from the archive."
        )
    if extra := sorted(present - listed):
        raise ArchiveError(
            f"The archive holds {_names(extra)} that the manifest does not list; it was altered."
        )


def read_member(zf: zipfile.ZipFile, name: str, manifest: dict, sink=None) -> bytes | None:
    """Read one member, checking its size and SHA-256 against the manifest.

    With `sink` (a binary file) the content is streamed into it and None is returned; without,
    the content is returned. Either way a mismatch raises ArchiveError naming the file.
    """
    expected = manifest["files"][name]
    limit = expected.get("size") if isinstance(expected, dict) else None
    digest, size, parts = hashlib.sha256(), 0, []
    try:
        with zf.open(name) as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                size += len(chunk)
                if not isinstance(limit, int) or size > limit:
                    raise ArchiveError(
                        f"{name} is larger than the manifest says; it was changed or damaged."
                    )
                digest.update(chunk)
                if sink is None:
                    parts.append(chunk)
                else:
                    sink.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise ArchiveError(f"{name} is damaged in the archive ({error}).") from None
    if size != limit or digest.hexdigest() != expected.get("sha256"):
        raise ArchiveError(
            f"{name} does not match its SHA-256 checksum in the manifest: it was changed or "
            "damaged after the archive was written."
        )
    return None if sink is not None else b"".join(parts)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"{shown}{more}"


def _is_are(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"
