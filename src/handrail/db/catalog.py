"""The backup folder and its index: where dumps live, what each one is, and which to keep.

Dumps hold production data, so the folder is private (0700, files 0600) and never inside the repository's work
tree, where one `git add -A` would publish it. The index is rewritten atomically under a lock so two concurrent
`handrail migrate` runs cannot lose each other's entries, and it stores only `display()` forms and redacted
commands: no password ever reaches the disk through it.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handrail.core.redact import redact_command
from handrail.db.engine import DatabaseError

INDEX_NAME = "index.json"
INDEX_VERSION = 1


@dataclass(frozen=True)
class BackupRecord:
    id: str  # sortable: 20261125T170102Z-a1b2c3
    engine: str
    created: str  # UTC ISO 8601
    size: int
    sha256: str
    source: str  # DatabaseTarget.display(): never a password
    project: str | None  # the project root the backup was taken for
    file: str  # the dump's name inside the backup folder
    snapshot_file: str  # the backup-time snapshot (JSON) that restore compares against
    snapshot_sha256: str
    command: str | None = None  # the command that followed (redacted), filled in by `migrate`
    verified: bool = False
    verify_detail: str = ""
    folder: Path = field(default=Path(), compare=False)  # where the files are; not stored in the index

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def snapshot_path(self) -> Path:
        return self.folder / self.snapshot_file

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("folder")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], folder: Path) -> BackupRecord:
        names = {f.name for f in fields(cls)} - {"folder"}
        return cls(**{k: v for k, v in data.items() if k in names}, folder=folder)


def new_backup_id(now: datetime | None = None) -> str:
    """Time first so ids sort by age; six random hex digits so two backups in one second never collide."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def utc_now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def default_backup_dir(config: Any, env: Mapping[str, str], root: Path) -> Path:
    """handrail.toml `backups.dir` (relative to the project root), else HANDRAIL_BACKUP_DIR, else the user's
    data directory (XDG_DATA_HOME, which the XDG spec says to ignore unless absolute)."""
    configured = getattr(getattr(config, "backups", None), "dir", None)
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() else root / path
    if env.get("HANDRAIL_BACKUP_DIR"):
        return Path(env["HANDRAIL_BACKUP_DIR"]).expanduser()
    xdg = env.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path(env.get("HOME") or Path.home()) / ".local/share"
    return base / "handrail" / "backups"


def _work_tree(root: Path) -> Path:
    """The git work tree holding `root`, or `root` itself outside git: the area backups must stay out of."""
    from handrail.core.git import GitReader

    top = GitReader(root).toplevel
    return (top or root).resolve()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (temp file, fsync, rename) with mode 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class Catalog:
    """One backup folder. `project` is the root backups are taken for (recorded, and the unit of retention)."""

    def __init__(self, folder: Path, project: Path | None = None) -> None:
        self.folder = folder
        self.project = project

    @classmethod
    def open(cls, root: Path, config: Any, env: Mapping[str, str]) -> Catalog:
        """The project's catalog; refuses a folder inside the repository's work tree."""
        folder = default_backup_dir(config, env, root).resolve()
        tree = _work_tree(root)
        if folder == tree or folder.is_relative_to(tree):
            raise DatabaseError(f"backup folder {folder} is inside the repository ({tree}), where a commit could "
                                "publish it; set backups.dir in handrail.toml or HANDRAIL_BACKUP_DIR to a folder "
                                "outside it")
        return cls(folder, root.resolve())

    @property
    def index_path(self) -> Path:
        return self.folder / INDEX_NAME

    def ensure(self) -> None:
        """Create the folder 0700 (and tighten an existing one we own), or say in one line why not."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            st = self.folder.stat()
            if st.st_uid == os.getuid() and st.st_mode & 0o077:
                os.chmod(self.folder, 0o700)
        except OSError as exc:
            raise DatabaseError(f"cannot create backup folder {self.folder}: {exc.strerror or exc}") from exc
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise DatabaseError(f"backup folder {self.folder} is not writable")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.ensure()
        try:
            fd = os.open(self.folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise DatabaseError(f"cannot write to backup folder {self.folder}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read(self) -> list[BackupRecord]:
        try:
            raw = self.index_path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise DatabaseError(f"cannot read backup index {self.index_path}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(raw)
            items = data["backups"]
            return [BackupRecord.from_dict(item, self.folder) for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            raise DatabaseError(f"backup index {self.index_path} is damaged ({exc.__class__.__name__}); "
                                "move it aside to start a new one") from exc

    def _write(self, records: list[BackupRecord]) -> None:
        body = {"version": INDEX_VERSION, "backups": [r.to_dict() for r in sorted(records, key=lambda r: r.id)]}
        try:
            write_private(self.index_path, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode())
        except OSError as exc:
            raise DatabaseError(f"cannot write backup index {self.index_path}: {exc.strerror or exc}") from exc

    def list(self, project: Path | None = None) -> builtins.list[BackupRecord]:
        """Newest first; only `project`'s backups when given."""
        records = self._read()
        if project is not None:
            records = [r for r in records if r.project == str(project)]
        return sorted(records, key=lambda r: r.id, reverse=True)

    def get(self, backup_id: str) -> BackupRecord:
        """By id, or by a prefix naming exactly one backup (ids are long to type)."""
        records = self._read()
        exact = [r for r in records if r.id == backup_id]
        matches = exact or [r for r in records if backup_id and r.id.startswith(backup_id)]
        if not matches:
            raise DatabaseError(f"no backup {backup_id!r} in {self.folder} (see `handrail backups`)")
        if len(matches) > 1:
            raise DatabaseError(f"backup id {backup_id!r} is ambiguous ({len(matches)} backups start with it)")
        return matches[0]

    def add(self, record: BackupRecord) -> BackupRecord:
        record = replace(record, folder=self.folder,
                         command=redact_command(record.command) if record.command else record.command)
        with self._locked():
            records = self._read()
            if any(r.id == record.id for r in records):
                raise DatabaseError(f"backup {record.id} is already in the index")
            self._write([*records, record])
        return record

    def set_command(self, backup_id: str, command: str) -> BackupRecord:
        """Record the command that followed the backup (redacted: commands can carry URLs with passwords)."""
        with self._locked():
            records = self._read()
            for i, r in enumerate(records):
                if r.id == backup_id:
                    records[i] = replace(r, command=redact_command(command))
                    self._write(records)
                    return records[i]
        raise DatabaseError(f"no backup {backup_id!r} in {self.folder}")

    def remove(self, backup_id: str) -> BackupRecord:
        """Drop the index entry first, then the files: a crash in between leaves orphans, never a dangling
        entry that restore would trust."""
        with self._locked():
            records = self._read()
            gone = next((r for r in records if r.id == backup_id), None)
            if gone is None:
                raise DatabaseError(f"no backup {backup_id!r} in {self.folder}")
            self._write([r for r in records if r.id != backup_id])
        for path in (gone.path, gone.snapshot_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return gone

    def keep(self, n: int, project: Path | None = None) -> builtins.list[BackupRecord]:
        """Retention: keep the newest `n` backups of the project (default: this catalog's), remove the rest."""
        if n < 1:
            raise DatabaseError("backups.keep must be at least 1")
        proj = project or self.project
        old = self.list(proj)[n:]
        return [self.remove(r.id) for r in old]

    def to_contract(self, project: Path | None = None) -> dict[str, Any]:
        """The `handrail backups --format json` document (contract.md): newest first."""
        out = []
        for r in self.list(project):
            item = r.to_dict()
            item["path"] = str(r.path)
            out.append(item)
        return {"backups": out}
