"""Where a run's data goes: the local files (``LocalSink``), the server (``RemoteSink``), or both
(``TeeSink``), as in the TypeScript SDK (src/tracking: run-sink.ts, remote/remote-sink.ts, tee).

A sink takes the primitives the background writer (``_writer.py``) and the status record
(``_status_record.py``) call: ``update_experiment``, ``merge_params``, ``append_logs``, ``append_metric``,
``append_track``, ``save_file``, ``delete_file``, and answers what the run reads back about itself
(``read_experiment``, ``read_params``, ``list_files``, ``find_file``, the streams). A write raises its I/O
error: the writer keeps the data and retries it.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ._local_sink import LocalSink, SidecarWriteError
from ._remote_sink import RemoteSink


# What a tee answers from (or does only on) the local folder: reading, and the folder's own housekeeping.
_LOCAL_ONLY = (
    "read_experiment",
    "read_params",
    "list_files",
    "find_file",
    "delete_file",
    "load_files_metadata",
    "path",
    "metric_dir",
    "metric_names",
    "iter_metric",
    "iter_logs",
    "iter_track",
    "stored_file_path",
    "planned_file_path",
    "copy_file_out",
    "_last_record",
    "ensure_folders",
    "reserve_space",
    "release_space",
    "save_unsaved",
)


class TeeSink:
    """The local files and the server: each write goes to the local sink first (its checks and its errors are
    the reference: a failed local write raises before anything is sent, and the writer retries the whole
    batch), then to the server. The run reads back what is local."""

    def __init__(self, local: LocalSink, remote: RemoteSink) -> None:
        self.dir = local.dir
        self._local = local
        self.remote = remote

    def update_experiment(self, change: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
        return self.remote.adopt_experiment(self._local.update_experiment(change))

    def merge_params(self, flat: Dict[str, Any]) -> Dict[str, Any]:
        data = self._local.merge_params(flat)
        self.remote.merge_params(flat)
        return data

    def append_logs(self, encoded: List[str]) -> None:
        self._both(lambda: self._local.append_logs(encoded), lambda: self.remote.append_logs(encoded))

    def append_metric(
        self,
        name: Optional[str],
        points: List[str],
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._both(
            lambda: self._local.append_metric(name, points, description, tags, metadata),
            lambda: self.remote.append_metric(name, points, description, tags, metadata),
        )

    def append_track(self, topic: str, folder: str, entries: List[Tuple[float, Dict[str, Any]]]) -> None:
        self._both(
            lambda: self._local.append_track(topic, folder, entries),
            lambda: self.remote.append_track(topic, folder, entries),
        )

    def save_file(
        self,
        path: str,
        filename: str,
        source: Union[str, bytes, bytearray, memoryview],
        prefix: str,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        bindrs: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        file_id: Optional[str] = None,
    ) -> Tuple[str, Dict[str, Any]]:
        """Stores the file locally, then uploads that copy."""
        target, record = self._local.save_file(
            path, filename, source, prefix, description, tags, bindrs, metadata, file_id=file_id
        )
        self.remote.upload(path, filename, target, record["checksum"], record["sizeBytes"], staged=False)
        return target, record

    @staticmethod
    def _both(local: Callable[[], None], remote: Callable[[], None]) -> None:
        # A counter file beside the data that failed after the data was appended does not stop the batch from
        # being sent: it is raised once sent (the writer then rewrites only the counter).
        sidecar: Optional[SidecarWriteError] = None
        try:
            local()
        except SidecarWriteError as error:
            sidecar = error
        remote()
        if sidecar is not None:
            raise sidecar


def _local_only(name: str) -> Any:
    def call(self: TeeSink, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._local, name)(*args, **kwargs)

    call.__name__ = name
    return call


for _name in _LOCAL_ONLY:
    setattr(TeeSink, _name, _local_only(_name))


def open_sink(local: Optional[LocalSink], remote: Optional[RemoteSink]) -> Any:
    """The sink of a run: local, remote, or both."""
    if local is not None and remote is not None:
        return TeeSink(local, remote)
    return local if local is not None else remote
