"""Files of a run: ``run.files("models").save("model.pt")`` stores a copy under
``files/models/<id>/model.pt`` and records it (sha256, size, type) in ``files/.files_metadata.json``."""

from __future__ import annotations

import fnmatch
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from . import _jsonio as jio
from ._paths import check_file_name, normalize_file_path
from ._file_records import experiment_id, file_record, snowflake_id, source_digest
from .errors import InvalidArgumentError, LabrunError, RunFileNotFoundError

if TYPE_CHECKING:
    from .run import _RunBase

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, dict, list]


class StoredFile(str):
    """The stored file's absolute path (a ``str``), with its record: ``id``, ``path`` (the folder, '/'-led),
    ``filename``, ``checksum`` (sha256 hex), ``size`` and ``record`` (the whole metadata entry)."""

    record: Dict[str, Any]

    def __new__(cls, location: str, record: Dict[str, Any]) -> "StoredFile":
        obj = super().__new__(cls, location)
        obj.record = record
        return obj

    @property
    def id(self) -> str:
        return str(self.record.get("id"))

    @property
    def path(self) -> str:
        return str(self.record.get("path"))

    @property
    def filename(self) -> str:
        return str(self.record.get("filename"))

    @property
    def checksum(self) -> str:
        return str(self.record.get("checksum"))

    @property
    def size(self) -> int:
        return int(self.record.get("sizeBytes") or 0)


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if folder != "/" else f"/{name}"


class FileFolder:
    """``run.files("models")``: the files stored under one folder ('/' for ``run.files()``)."""

    def __init__(self, run: "_RunBase", folder: Optional[str] = None) -> None:
        self._run = run
        self.folder = normalize_file_path(folder)

    # ------------------------------------------------------------------------------ writing

    def save(
        self,
        source: Source,
        name: Optional[str] = None,
        *,
        to: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> StoredFile:
        """Stores ``source`` (a path to an existing file, bytes, or a dict/list saved as JSON) as ``name``
        (default: the source's file name; required for bytes and JSON). ``to`` is ML-Dash's spelling of
        ``name``. Written at once; returns the stored file's path. Saving the same name again replaces it.
        A write the disk refuses (full) is not raised: the save waits and is made again when the disk takes it
        (``run.write_status()``)."""
        run = self._run
        run._writable()
        filename = name if name is not None else to
        payload: Union[str, bytes]
        if isinstance(source, (bytes, bytearray, memoryview)):
            if filename is None:
                raise InvalidArgumentError("Saving bytes needs a name: files(...).save(data, name='blob.bin').")
            payload = bytes(source)
        elif isinstance(source, (dict, list)):
            if filename is None:
                raise InvalidArgumentError("Saving a dict or list needs a name: files(...).save(obj, name='config.json').")
            payload = jio.dumps(jio.json_value(source, "file")).encode("utf-8")
        elif isinstance(source, (str, os.PathLike)):
            src = os.fspath(source)
            if not os.path.isfile(src):
                raise InvalidArgumentError(
                    f"No file at {src!r} to save. Pass the path of an existing file, or bytes with a name.",
                    {"source": src},
                )
            payload = src
            if filename is None:
                filename = os.path.basename(src)
        else:
            raise InvalidArgumentError(
                f"Cannot save a {type(source).__name__}: pass a file path, bytes, or a dict/list (saved as JSON).",
                {"type": type(source).__name__},
            )
        check_file_name(filename)
        assert filename is not None
        store, writer = run._sink, run._writable()
        checked = jio.json_value(metadata, "metadata") if metadata is not None else None
        file_id = snowflake_id()
        done: List[Tuple[str, Dict[str, Any]]] = []
        refused: List[LabrunError] = []

        def write() -> None:
            try:
                done.append(
                    store.save_file(
                        self.folder, filename, payload, run.prefix,
                        description=description, tags=tags, metadata=checked, file_id=file_id,
                    )
                )
            except LabrunError as error:
                refused.append(error)  # the caller's input, not the disk: raised, never retried

        # A full disk: the save waits in the run's writer, in order, and is made again whole when the disk
        # takes it (copied from the source then, bytes kept in memory); nothing is raised into the program.
        if writer.save_file(f"{self.folder}/{filename}", write, len(payload) if isinstance(payload, bytes) else 0):
            if refused:
                raise refused[-1]
            return StoredFile(*done[-1])
        checksum, size = source_digest(payload)
        record = file_record(
            file_id, experiment_id(run.prefix), self.folder, filename, size, checksum,
            description=description, tags=tags, bindrs=None, metadata=checked,
        )
        return StoredFile(store.planned_file_path(self.folder, file_id, filename), record)

    upload = save

    def save_text(self, content: str, name: Optional[str] = None, **options: Any) -> StoredFile:
        """Stores ``content`` as a UTF-8 text file named ``name`` (or ML-Dash's ``to=``)."""
        return self.save(str(content).encode("utf-8"), name, **options)

    def save_json(self, content: Any, name: Optional[str] = None, **options: Any) -> StoredFile:
        """Stores ``content`` as a JSON file named ``name`` (or ML-Dash's ``to=``)."""
        return self.save(jio.dumps(jio.json_value(content, "file")).encode("utf-8"), name, **options)

    def save_blob(self, data: bytes, name: Optional[str] = None, **options: Any) -> StoredFile:
        """Stores bytes as a file named ``name`` (or ML-Dash's ``to=``)."""
        return self.save(bytes(data), name, **options)

    def delete(self, name: Optional[str] = None) -> Dict[str, Any]:
        """Marks a stored file deleted (``deletedAt``, as ML-Dash does); its content stays on disk."""
        run = self._run
        run._writable()
        folder, filename = self._target(name)
        record = run._sink.delete_file(folder, filename)
        if record is not None:
            return record
        raise RunFileNotFoundError(_join(folder, filename))

    # ------------------------------------------------------------------------------ reading

    def _target(self, name: Optional[str]) -> Tuple[str, str]:
        if name is not None:
            if "/" in name.strip("/"):
                sub, _, base = name.strip("/").rpartition("/")
                return normalize_file_path(_join(self.folder, sub).lstrip("/")), check_file_name(base)
            return self.folder, check_file_name(name.strip("/"))
        # ML-Dash style: run.files("models/model.pt").exists() names the file in the folder argument.
        if self.folder == "/":
            raise InvalidArgumentError("Name the file: run.files('models').exists('model.pt').")
        parent, _, base = self.folder.rpartition("/")
        return (parent or "/"), base

    def record(self, name: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The metadata record of a stored file, or None."""
        folder, filename = self._target(name)
        return self._run._sink.find_file(folder, filename)

    def exists(self, name: Optional[str] = None) -> bool:
        return self.record(name) is not None

    def list(self, pattern: Optional[str] = None) -> List[Dict[str, Any]]:
        """Records of the live files in this folder and below; ``pattern`` (fnmatch) filters on the file name
        or on the path relative to this folder (``"*.pt"``, ``"ckpt/*.pt"``)."""
        records = self._run._sink.list_files(self.folder)
        if pattern is None:
            return records
        out = []
        for record in records:
            filename = str(record.get("filename"))
            rel = _join(_norm(record.get("path")), filename)[len(self.folder.rstrip("/")) :].lstrip("/")
            if fnmatch.fnmatch(filename, pattern) or fnmatch.fnmatch(rel, pattern.lstrip("/")):
                out.append(record)
        return out

    def download(self, name: Optional[str] = None, to: Optional[str] = None) -> str:
        """Copies a stored file to ``to`` (default: its name in the current directory), checking its sha256;
        returns the path written."""
        folder, filename = self._target(name)
        record = self._run._sink.find_file(folder, filename)
        if record is None:
            raise RunFileNotFoundError(_join(folder, filename))
        dest = os.fspath(to) if to is not None else os.path.join(os.getcwd(), filename)
        if os.path.isdir(dest):
            dest = os.path.join(dest, filename)
        return self._run._sink.copy_file_out(record, dest)

    def path_of(self, name: Optional[str] = None) -> str:
        """The stored file's path inside the run folder (read it in place, no copy)."""
        folder, filename = self._target(name)
        record = self._run._sink.find_file(folder, filename)
        if record is None:
            raise RunFileNotFoundError(_join(folder, filename))
        return self._run._sink.stored_file_path(record)

    def read_bytes(self, name: Optional[str] = None) -> bytes:
        with open(self.path_of(name), "rb") as f:
            return f.read()

    def read_text(self, name: Optional[str] = None, encoding: str = "utf-8") -> str:
        return self.read_bytes(name).decode(encoding)

    def __repr__(self) -> str:
        return f"FileFolder({self.folder!r})"


def _norm(path: Any) -> str:
    text = str(path or "/")
    return text if text.startswith("/") else "/" + text


class Files:
    """``run.files``: ``run.files("models")`` is a folder; ``run.files.save(...)`` etc. use the top folder."""

    def __init__(self, run: "_RunBase") -> None:
        self._run = run

    def __call__(self, folder: Optional[str] = None) -> FileFolder:
        return FileFolder(self._run, folder)

    def save(self, source: Source, name: Optional[str] = None, **options: Any) -> StoredFile:
        return FileFolder(self._run).save(source, name, **options)

    def list(self, pattern: Optional[str] = None) -> List[Dict[str, Any]]:
        return FileFolder(self._run).list(pattern)

    def exists(self, name: str) -> bool:
        return FileFolder(self._run).exists(name)

    def download(self, name: str, to: Optional[str] = None) -> str:
        return FileFolder(self._run).download(name, to)
