"""Type stub of peaje._native, the pybind11 module (bindings/native_module.cpp): the C++ core's
in-process face. Errors: peaje.InvalidArgument / TooLarge (ValueError), TypeError; a call past
`timeout` seconds raises peaje.DeadlineExceeded."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import ClassVar, SupportsIndex

from typing_extensions import Buffer

# What the mapping's keys and values may be: str (encoded per `errors`) or bytes-like.
_Text = str | bytes | bytearray | memoryview
_Targets = Iterable[SupportsIndex]

def search_copy(
    values: Sequence[SupportsIndex],
    targets: _Targets,
    repeat: int = 1,
    timeout: float | None = None,
) -> list[int]:
    """Convert values to a native array (validated), then search. The talk's path."""

def search_lazy(
    values: Sequence[SupportsIndex],
    targets: _Targets,
    repeat: int = 1,
    timeout: float | None = None,
) -> list[int]:
    """Search by probing only O(log n) items of the sequence; order is trusted."""

def search_buffer(
    values: Buffer, targets: _Targets, repeat: int = 1, timeout: float | None = None
) -> list[int]:
    """Zero-copy search over an int64 buffer; order is trusted."""

def to_bytes_dict(
    mapping: Mapping[_Text, _Text] | Iterable[tuple[_Text, _Text]],
    errors: str = "strict",
    timeout: float | None = None,
) -> dict[bytes, bytes]:
    """Encode str/bytes-like keys and values into a dict[bytes, bytes]."""

def check_sorted_values(values: Sequence[SupportsIndex]) -> None:
    """Raise InvalidArgument unless values are ascending int64."""

def canonical_spec(spec: str) -> str:
    """The canonical 'range:N:STEP' of a dataset spec (the resident caches' key)."""

def search_request_without_targets(request: bytes) -> tuple[bytes, int]:
    """A peaje.v1.SearchRequest's wire bytes without its targets, and their count."""

def noop() -> None:
    """A call that does nothing: the bare cost of crossing into C++."""

class SortedArray(Buffer):
    """An ascending int64 array owned by the native side."""

    def __init__(self, values: Sequence[SupportsIndex] | str) -> None:
        """Build from a sequence of int (validated once) or a dataset spec like 'range:N'."""

    @staticmethod
    def from_spec(spec: str) -> SortedArray: ...
    def search(
        self, targets: _Targets, repeat: int = 1, timeout: float | None = None
    ) -> list[int]: ...
    def search_packed(
        self, request: bytes, repeat: int = 1, timeout: float | None = None
    ) -> bytes: ...
    def find(self, target: SupportsIndex) -> int: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> int: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    @property
    def nbytes(self) -> int: ...

class Engine:
    """An engine's compiled face: the data mode is dispatched in C++."""

    takes_timeout: ClassVar[bool]
    def __init__(
        self, datasets: Callable[[str], SortedArray], timeout: float | None = None
    ) -> None: ...
    def search(
        self,
        values: object,
        targets: _Targets,
        *,
        mode: str | None = None,
        repeat: int = 1,
        timeout: float | None = None,
    ) -> list[int]: ...
    def to_bytes_dict(
        self,
        mapping: Mapping[_Text, _Text] | Iterable[tuple[_Text, _Text]],
        errors: str = "strict",
        timeout: float | None = None,
    ) -> dict[bytes, bytes]: ...

class _Limits(ModuleType):
    MAX_DATASET_SIZE: int
    MAX_TARGETS: int
    MAX_REPEAT: int
    MAX_SEARCHES_PER_CALL: int
    SEARCHES_PER_SLICE: int

limits: _Limits
