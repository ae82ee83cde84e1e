"""Size caps, the same on every face. They mirror core/include/peaje/limits.hpp, and a test
checks that the compiled module agrees."""

MAX_DATASET_SIZE = 10_000_000
MAX_TARGETS = 1_000_000
MAX_REPEAT = 1_000_000
MAX_SEARCHES_PER_CALL = 1_000_000_000
# Searches between two deadline checks (and GIL hand-overs) in a long call.
SEARCHES_PER_SLICE = 4096

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

DEFAULT_DATASET = "range:100000"
MODES = ("copy", "lazy", "buffer", "resident")
UTF8_ERRORS = ("strict", "surrogatepass", "surrogateescape")
