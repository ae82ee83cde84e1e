// The binding-neutral crossing (see crossing.hpp): every Python object is read here, once, from
// its storage where it has one, and every size it claims is checked against what it holds.
#include "crossing.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "peaje/bytes_dict.hpp"
#include "peaje/dataset.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/search.hpp"
#include "peaje/text.hpp"
#include "peaje/wire.hpp"

namespace peaje::crossing {
namespace {

// Batches at least this large release the GIL around the native loop; smaller ones would pay
// more for the release than they save.
constexpr std::int64_t kReleaseGilFromSearches = 256;
// A reserve() is never sized by an object's own claim beyond this (list() grows past it).
constexpr std::size_t kMaxTrustedHint = 1 << 16;
// Characters of a caller's repr or type name shown in a message.
constexpr std::size_t kShownChars = 80;

// An owned reference: released on every path, including a thrown error.
class Ref {
 public:
  explicit Ref(PyObject* p = nullptr) noexcept : p_(p) {}
  static Ref borrow(PyObject* p) noexcept {
    Py_XINCREF(p);
    return Ref(p);
  }
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Ref& operator=(Ref&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() { Py_XDECREF(p_); }
  PyObject* get() const noexcept { return p_; }
  PyObject* release() noexcept { return std::exchange(p_, nullptr); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  PyObject* p_;
};

PyObject* checked(PyObject* p) {
  if (p == nullptr) throw PythonError{};
  return p;
}

// Drops the GIL for native work that touches no Python object.
class GilRelease {
 public:
  GilRelease() noexcept : state_(PyEval_SaveThread()) {}
  ~GilRelease() { PyEval_RestoreThread(state_); }
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  PyThreadState* state_;
};

// Lets other Python threads run (and signals be seen) between slices of GIL-holding work.
// A release taken straight back hands nothing over: a waiting thread asks for the GIL only after
// a whole switch interval with no switch, and every release of ours counts as one. So the GIL is
// let go at most once per two switch intervals, long enough for a waiter to ask; that release
// then waits until the waiter has taken it (CPython's forced switching).
class GilYield {
 public:
  using Clock = std::chrono::steady_clock;

  // Called between slices; the clock starts at the first call (a short call never pays for it).
  void operator()() {
    const Clock::time_point now = Clock::now();
    if (every_ == Clock::duration::zero()) {
      every_ = std::chrono::microseconds(2 * _PyEval_GetSwitchInterval());
      last_ = now;
    } else if (now - last_ >= every_) {
      PyThreadState* state = PyEval_SaveThread();
      PyEval_RestoreThread(state);
      last_ = Clock::now();
    }
    if (PyErr_CheckSignals() != 0) throw PythonError{};
  }

 private:
  Clock::duration every_{};
  Clock::time_point last_{};
};

// ---- text for messages ---------------------------------------------------------------------

std::string type_name(PyObject* obj) { return truncate_utf8(Py_TYPE(obj)->tp_name, kShownChars); }

// UTF-8 of a str, with anything unencodable (a lone surrogate) written as \udXXX.
std::string printable_utf8(PyObject* text) {
  Ref bytes(PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace"));
  if (!bytes) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return std::string(PyBytes_AS_STRING(bytes.get()),
                     static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.get())));
}

// repr(obj), cut to kShownChars characters (code points, so never inside a character).
std::string short_repr(PyObject* obj) {
  Ref repr(PyObject_Repr(obj));
  if (!repr || !PyUnicode_Check(repr.get())) {
    PyErr_Clear();
    return "<" + type_name(obj) + ">";
  }
  const auto shown = static_cast<Py_ssize_t>(kShownChars);
  if (PyUnicode_GET_LENGTH(repr.get()) <= shown) return printable_utf8(repr.get());
  Ref head(PyUnicode_Substring(repr.get(), 0, shown));
  if (!head) {
    PyErr_Clear();
    return "<" + type_name(obj) + ">";
  }
  return printable_utf8(head.get()) + "...";
}

std::string where(const char* what, std::size_t i) {
  return std::string(what) + "[" + std::to_string(i) + "]";
}

[[noreturn]] void throw_not_a_sequence(PyObject* obj, const char* what) {
  throw invalid_argument(std::string(what) + " must be a sequence of int, got " + type_name(obj));
}

// ---- ints ------------------------------------------------------------------------------------

[[noreturn]] void throw_outside_int64(const char* what, std::size_t i) {
  throw invalid_argument(where(what, i) + " is outside int64");
}

std::int64_t exact_int_to_int64(PyObject* item, const char* what, std::size_t i) {
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(item, &overflow);
  if (overflow != 0) throw_outside_int64(what, i);
  return value;
}

// int64 from a Python integer; bool, float, str and out-of-range integers are refused. An
// __index__ that is not an int is refused the same way; one that raises passes its error on.
std::int64_t to_int64(PyObject* item, const char* what, std::size_t i) {
  if (PyLong_CheckExact(item)) return exact_int_to_int64(item, what, i);
  if (PyBool_Check(item)) throw invalid_argument(where(what, i) + ": expected an int, got bool");
  if (!PyIndex_Check(item)) {
    throw invalid_argument(where(what, i) + ": expected an int, got " + type_name(item));
  }
  Ref index(PyNumber_Index(item));
  if (!index) {
    if (!PyErr_ExceptionMatches(PyExc_TypeError)) throw PythonError{};
    PyErr_Clear();
    throw invalid_argument(where(what, i) + ": expected an int, got " + type_name(item));
  }
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(index.get(), &overflow);
  if (overflow != 0) throw_outside_int64(what, i);
  if (value == -1 && PyErr_Occurred()) throw PythonError{};
  return value;
}

// An item of a list, converted while a reference is held: __index__ may mutate the list.
std::int64_t list_item_to_int64(PyObject* list, Py_ssize_t i, const char* what) {
  PyObject* item = PyList_GET_ITEM(list, i);
  if (PyLong_CheckExact(item)) return exact_int_to_int64(item, what, static_cast<std::size_t>(i));
  Ref hold = Ref::borrow(item);
  return to_int64(hold.get(), what, static_cast<std::size_t>(i));
}

std::int64_t to_repeat(PyObject* repeat) {
  const std::int64_t k = to_int64(repeat, "repeat", 0);
  if (k < 1 || k > limits::kMaxRepeat) check_batch(0, k);  // its message: repeat out of range
  return k;
}

// ---- sequences -------------------------------------------------------------------------------

bool is_text_or_bytes(PyObject* obj) {
  return PyUnicode_Check(obj) || PyBytes_Check(obj) || PyByteArray_Check(obj);
}

// Converts every item of a list or tuple (subclasses too) from its storage: never __len__,
// __iter__ or __getitem__. A list's size is re-read each step, since __index__ may mutate it.
template <class OnItem>
void for_each_stored_int64(PyObject* seq, const char* what, OnItem&& on_item) {
  if (PyTuple_Check(seq)) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seq); ++i) {
      on_item(to_int64(PyTuple_GET_ITEM(seq, i), what, static_cast<std::size_t>(i)));
    }
    return;
  }
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(seq); ++i) on_item(list_item_to_int64(seq, i, what));
}

Py_ssize_t stored_size(PyObject* seq) {
  return PyTuple_Check(seq) ? PyTuple_GET_SIZE(seq) : PyList_GET_SIZE(seq);
}

// Targets cross in every mode: converted to a native array, bounds-checked, never truncated.
// The cap is checked before converting when the size is known (list, tuple), else as items
// arrive from the iterator; never from a size the object claims.
std::vector<std::int64_t> convert_targets(PyObject* targets, std::int64_t repeat) {
  std::vector<std::int64_t> out;
  if (PyList_Check(targets) || PyTuple_Check(targets)) {
    const auto n = static_cast<std::size_t>(stored_size(targets));
    check_batch(n, repeat);
    out.reserve(n);
    for_each_stored_int64(targets, "targets", [&](std::int64_t v) { out.push_back(v); });
    if (out.size() != n) check_batch(out.size(), repeat);  // a list resized by __index__
    return out;
  }
  if (is_text_or_bytes(targets)) throw_not_a_sequence(targets, "targets");
  Ref iterator(PyObject_GetIter(targets));
  if (!iterator) {
    PyErr_Clear();
    throw_not_a_sequence(targets, "targets");
  }
  while (Ref item{PyIter_Next(iterator.get())}) {
    out.push_back(to_int64(item.get(), "targets", out.size()));
    if (out.size() > static_cast<std::size_t>(limits::kMaxTargets)) check_batch(out.size(), repeat);
  }
  if (PyErr_Occurred()) throw PythonError{};
  check_batch(out.size(), repeat);
  return out;
}

// Length of a sequence that has no storage we can read; the object's own claim, checked by
// every read that follows. Mappings, text and iterators without a length are refused.
Py_ssize_t claimed_length(PyObject* seq, const char* what) {
  if (PyDict_Check(seq) || !PySequence_Check(seq)) throw_not_a_sequence(seq, what);
  const Py_ssize_t n = PyObject_Length(seq);
  if (n < 0) {
    if (!PyErr_ExceptionMatches(PyExc_TypeError)) throw PythonError{};
    PyErr_Clear();
    throw_not_a_sequence(seq, what);
  }
  return n;
}

// Item i < n of a sequence without storage; a sequence shorter than its length is refused.
Ref claimed_item(PyObject* seq, Py_ssize_t i, const char* what) {
  Ref item(PySequence_GetItem(seq, i));
  if (!item) {
    if (!PyErr_ExceptionMatches(PyExc_IndexError)) throw PythonError{};
    PyErr_Clear();
    throw invalid_argument(where(what, static_cast<std::size_t>(i)) +
                           " could not be read: the sequence is shorter than its len()");
  }
  return item;
}

[[noreturn]] void throw_unsorted(std::size_t i, std::int64_t v, std::int64_t previous) {
  throw unsorted_error(i, v, previous);  // core owns the wording
}

// copy: the talk's path. The values become a fresh native array on every call, validated
// (int64, ascending) while copying, which costs almost nothing on top of the copy.
std::vector<std::int64_t> copy_sorted_values(PyObject* values) {
  std::vector<std::int64_t> out;
  auto push = [&](std::int64_t v) {
    if (!out.empty() && v < out.back()) throw_unsorted(out.size(), v, out.back());
    out.push_back(v);
  };
  if (PyList_Check(values) || PyTuple_Check(values)) {
    out.reserve(static_cast<std::size_t>(stored_size(values)));
    for_each_stored_int64(values, "values", push);
    return out;
  }
  if (PyUnicode_Check(values)) throw_not_a_sequence(values, "values");
  const Py_ssize_t n = claimed_length(values, "values");
  out.reserve(std::min(static_cast<std::size_t>(n), kMaxTrustedHint));
  for (Py_ssize_t i = 0; i < n; ++i) {
    Ref item = claimed_item(values, i, "values");
    push(to_int64(item.get(), "values", static_cast<std::size_t>(i)));
  }
  return out;
}

PyObject* to_pylist(std::span<const std::int64_t> indices) {
  Ref out(checked(PyList_New(static_cast<Py_ssize_t>(indices.size()))));
  for (std::size_t i = 0; i < indices.size(); ++i) {
    PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i),
                    checked(PyLong_FromLongLong(indices[i])));
  }
  return out.release();
}

// Runs `search(first, count)` over every target `repeat` times, in slices of about
// kSearchesPerSlice searches, calling `between()` after each slice.
template <class Search, class Between>
void in_slices(std::size_t n_targets, std::int64_t repeat, Search&& search, Between&& between) {
  const auto slice = static_cast<std::size_t>(kSearchesPerSlice);
  for (std::int64_t pass = 0; pass < repeat; ++pass) {
    for (std::size_t first = 0; first < n_targets; first += slice) {
      search(first, std::min(slice, n_targets - first));
      between();
    }
  }
}

bool is_big(std::size_t n_targets, std::int64_t repeat) noexcept {
  return static_cast<std::int64_t>(n_targets) * repeat >= kReleaseGilFromSearches;
}

// No SearchIndex: values that are not a SortedArray's are searched whole.
const peaje::SearchIndex kWholeSearch;

// The core loop over native memory, touching no Python object; with a deadline, in slices
// that each check it. `index`: the SortedArray's own, for resident values.
void search_into(std::span<const std::int64_t> values, std::span<const std::int64_t> targets,
                 std::span<std::int64_t> results, std::int64_t repeat, const Deadline& deadline,
                 const peaje::SearchIndex& index = kWholeSearch) {
  if (!deadline.is_set()) {
    peaje::search_many(values, index, targets, results, repeat);
    return;
  }
  deadline.check();
  in_slices(
      targets.size(), repeat,
      [&](std::size_t first, std::size_t count) {
        peaje::search_many(values, index, targets.subspan(first, count),
                           results.subspan(first, count));
      },
      [&] { deadline.check(); });
}

// The core loop over native memory, without the GIL when the batch is worth it.
PyObject* search_native(std::span<const std::int64_t> values, std::span<const std::int64_t> targets,
                        std::int64_t repeat, const Deadline& deadline,
                        const peaje::SearchIndex& index = kWholeSearch) {
  if (repeat == 1 && !deadline.is_set() &&
      static_cast<std::int64_t>(targets.size()) < kReleaseGilFromSearches) {
    // A small batch, the common one-call-one-search case: the core's batch search into the
    // stack, then straight into the list (no vector).
    std::array<std::int64_t, kReleaseGilFromSearches> out;
    const std::span<std::int64_t> results(out.data(), targets.size());
    peaje::search_many(values, index, targets, results);
    Ref found(checked(PyList_New(static_cast<Py_ssize_t>(targets.size()))));
    for (std::size_t i = 0; i < targets.size(); ++i) {
      PyList_SET_ITEM(found.get(), static_cast<Py_ssize_t>(i),
                      checked(PyLong_FromLongLong(results[i])));
    }
    return found.release();
  }
  std::vector<std::int64_t> out(targets.size());
  if (is_big(targets.size(), repeat)) {
    GilRelease release;
    search_into(values, targets, out, repeat, deadline, index);
  } else {
    search_into(values, targets, out, repeat, deadline, index);
  }
  return to_pylist(out);
}

// lazy over any `at(i)` that needs the GIL: slices let other threads run and check the deadline.
template <class At>
PyObject* search_probing(std::size_t n, At&& at, const std::vector<std::int64_t>& targets,
                         std::int64_t repeat, const Deadline& deadline) {
  std::vector<std::int64_t> out(targets.size());
  const bool long_run = static_cast<std::int64_t>(targets.size()) * repeat > kSearchesPerSlice;
  deadline.check();
  GilYield yield_gil;
  in_slices(
      targets.size(), repeat,
      [&](std::size_t first, std::size_t count) {
        for (std::size_t t = first; t < first + count; ++t) {
          out[t] = search_leftmost_by(n, at, targets[t]);
        }
      },
      [&] {
        if (long_run) yield_gil();
        deadline.check();
      });
  return to_pylist(out);
}

// The buffer formats that mean a native-endian int64.
bool is_int64_format(const char* format, Py_ssize_t itemsize) {
  if (itemsize != 8) return false;
  std::string_view f = format == nullptr ? "B" : format;
  if (!f.empty() && (f[0] == '@' || f[0] == '=' || f[0] == '<')) f.remove_prefix(1);
  return f == "q" || f == "l";
}

// A buffer view, released on every path.
class BufferView {
 public:
  explicit BufferView(PyObject* obj) {
    if (PyObject_GetBuffer(obj, &view_, PyBUF_RECORDS_RO) != 0) throw PythonError{};
  }
  ~BufferView() { PyBuffer_Release(&view_); }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;
  const Py_buffer& operator*() const noexcept { return view_; }
  const Py_buffer* operator->() const noexcept { return &view_; }

 private:
  Py_buffer view_{};
};

// Encode errors carry their positions, as CPython's own UnicodeEncodeError does.
[[noreturn]] void raise_encode_error(PyObject* text, const EncodeError& e,
                                     const std::string& role) {
  const std::string reason = std::string(e.what()) + " (in " + role + ")";
  PyObject* reason_text =
      PyUnicode_DecodeUTF8(reason.data(), static_cast<Py_ssize_t>(reason.size()), "replace");
  if (reason_text == nullptr) throw PythonError{};
  // "N" steals reason_text, on failure too.
  Ref exc(PyObject_CallFunction(PyExc_UnicodeEncodeError, "sOnnN", "utf-8", text,
                                static_cast<Py_ssize_t>(e.start()),
                                static_cast<Py_ssize_t>(e.end()), reason_text));
  if (exc) PyErr_SetObject(PyExc_UnicodeEncodeError, exc.get());
  throw PythonError{};
}

struct EntryRole {
  PyObject* key;  // the entry's key object, for messages
  bool is_value;  // converting the value (true) or the key (false)
};

std::string role_text(const EntryRole& role) {
  return role.is_value ? "the value of key " + short_repr(role.key) : "key " + short_repr(role.key);
}

std::string text_to_utf8(PyObject* text, Utf8Errors errors, const EntryRole& role) {
  const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
  if (PyUnicode_IS_ASCII(text)) {
    return std::string(static_cast<const char*>(PyUnicode_DATA(text)), static_cast<size_t>(n));
  }
  std::string out;
  const auto len = static_cast<std::size_t>(n);
  try {
    switch (PyUnicode_KIND(text)) {
      case PyUnicode_1BYTE_KIND:
        encode_utf8({PyUnicode_1BYTE_DATA(text), len}, errors, out);
        break;
      case PyUnicode_2BYTE_KIND:
        encode_utf8({PyUnicode_2BYTE_DATA(text), len}, errors, out);
        break;
      default:
        encode_utf8({PyUnicode_4BYTE_DATA(text), len}, errors, out);
        break;
    }
  } catch (const EncodeError& e) {
    raise_encode_error(text, e, role_text(role));
  }
  return out;
}

// str is encoded, bytes-like passes through byte for byte (NULs included), anything else is a
// TypeError naming the key.
std::string entry_to_bytes(PyObject* obj, Utf8Errors errors, const EntryRole& role) {
  if (PyUnicode_Check(obj)) return text_to_utf8(obj, errors, role);
  if (PyBytes_Check(obj)) {
    return std::string(PyBytes_AS_STRING(obj), static_cast<std::size_t>(PyBytes_GET_SIZE(obj)));
  }
  if (PyObject_CheckBuffer(obj)) {
    BufferView view(obj);
    std::string out(static_cast<std::size_t>(view->len), '\0');
    if (PyBuffer_ToContiguous(out.data(), &*view, view->len, 'C') != 0) throw PythonError{};
    return out;
  }
  throw Error(ErrorKind::kWrongType,
              role_text(role) + ": expected str or bytes-like, got " + type_name(obj));
}

// A (key, value) entry as a 2-tuple; anything else that unpacks to two items is converted.
Ref entry_pair(Ref entry, std::size_t position) {
  if (PyTuple_Check(entry.get()) && PyTuple_GET_SIZE(entry.get()) == 2) return entry;
  Ref pair(PySequence_Tuple(entry.get()));
  if (!pair || PyTuple_GET_SIZE(pair.get()) != 2) {
    if (!pair && !PyErr_ExceptionMatches(PyExc_TypeError)) throw PythonError{};
    PyErr_Clear();
    throw Error(ErrorKind::kWrongType,
                "entry " + std::to_string(position) + ": expected a (key, value) pair");
  }
  return pair;
}

PyObject* error_class(ErrorKind kind) {
  // Looked up once; the classes live in Python (peaje.errors) so every engine shares them.
  static PyObject* invalid = nullptr;
  static PyObject* too_large = nullptr;
  static PyObject* deadline = nullptr;
  if (invalid == nullptr) {
    PyObject* module = PyImport_ImportModule("peaje.errors");
    if (module != nullptr) {
      invalid = PyObject_GetAttrString(module, "InvalidArgument");
      too_large = PyObject_GetAttrString(module, "TooLarge");
      deadline = PyObject_GetAttrString(module, "DeadlineExceeded");
      Py_DECREF(module);
    }
    if (invalid == nullptr || too_large == nullptr || deadline == nullptr) {
      PyErr_Clear();
      Py_XDECREF(invalid);
      Py_XDECREF(too_large);
      Py_XDECREF(deadline);
      invalid = too_large = deadline = nullptr;
      return kind == ErrorKind::kDeadlineExceeded ? PyExc_TimeoutError : PyExc_ValueError;
    }
  }
  switch (kind) {
    case ErrorKind::kTooLarge:
      return too_large;
    case ErrorKind::kWrongType:
      return PyExc_TypeError;
    case ErrorKind::kDeadlineExceeded:
      return deadline;
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kEncode:
      break;
  }
  return invalid;
}

void set_error_text(PyObject* cls, std::string_view message) noexcept {
  // "replace": a message is always shown, even were a byte of it not UTF-8.
  PyObject* text =
      PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "replace");
  if (text == nullptr) return;  // MemoryError is set
  PyErr_SetObject(cls, text);
  Py_DECREF(text);
}

}  // namespace

// ---- errors ----------------------------------------------------------------------------------

void set_python_error(std::exception_ptr p) noexcept {
  try {
    std::rethrow_exception(p);
  } catch (const PythonError&) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "peaje: error indicator lost");
  } catch (const Error& e) {
    PyObject* cls = error_class(e.kind());
    set_error_text(cls, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "internal error in peaje's native crossing");
  }
}

void raise_python_error() noexcept { set_python_error(std::current_exception()); }

// ---- arguments -------------------------------------------------------------------------------

std::string_view utf8_argument(PyObject* text, std::string_view what) {
  if (!PyUnicode_Check(text)) {
    throw invalid_argument(std::string(what) + " must be a str, got " + type_name(text));
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text, &size);
  if (data == nullptr) {
    Py_ssize_t start = 0;
    PyObject* type = nullptr;
    PyObject* value = nullptr;
    PyObject* traceback = nullptr;
    PyErr_Fetch(&type, &value, &traceback);
    if (value == nullptr || PyUnicodeEncodeError_GetStart(value, &start) != 0) PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    throw invalid_argument(std::string(what) + " is not valid text: a lone surrogate at position " +
                           std::to_string(start));
  }
  return {data, static_cast<std::size_t>(size)};
}

Deadline deadline_from(PyObject* timeout) {
  if (timeout == nullptr || timeout == Py_None) return {};
  if (PyBool_Check(timeout) || !(PyFloat_Check(timeout) || PyLong_Check(timeout))) {
    throw invalid_argument("timeout must be a number of seconds or None, got " +
                           type_name(timeout));
  }
  const double seconds = PyFloat_AsDouble(timeout);
  if (seconds == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();  // an int beyond double: longer than any call
    return {};
  }
  if (std::isnan(seconds) || seconds < 0) {
    throw invalid_argument("timeout must be a non-negative number of seconds, got " +
                           short_repr(timeout));
  }
  return Deadline::after(seconds);
}

// ---- binary search ---------------------------------------------------------------------------

PyObject* search_copy(PyObject* values, PyObject* targets, PyObject* repeat,
                      const Deadline& deadline) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  const std::vector<std::int64_t> native_values = copy_sorted_values(values);
  return search_native(native_values, native_targets, k, deadline);
}

PyObject* search_lazy(PyObject* values, PyObject* targets, PyObject* repeat,
                      const Deadline& deadline) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> targets_ = convert_targets(targets, k);
  if (PyTuple_Check(values)) {  // immutable storage: its size is the truth for the whole call
    auto at = [values](std::size_t i) {
      return to_int64(PyTuple_GET_ITEM(values, static_cast<Py_ssize_t>(i)), "values", i);
    };
    return search_probing(static_cast<std::size_t>(PyTuple_GET_SIZE(values)), at, targets_, k,
                          deadline);
  }
  if (PyList_Check(values)) {  // a probe's __index__ may shrink it: each read is checked
    auto at = [values](std::size_t i) {
      const auto pos = static_cast<Py_ssize_t>(i);
      if (pos >= PyList_GET_SIZE(values)) {
        throw invalid_argument(where("values", i) +
                               " could not be read: the list changed size during the search");
      }
      return list_item_to_int64(values, pos, "values");
    };
    return search_probing(static_cast<std::size_t>(PyList_GET_SIZE(values)), at, targets_, k,
                          deadline);
  }
  if (PyUnicode_Check(values)) throw_not_a_sequence(values, "values");
  const Py_ssize_t n = claimed_length(values, "values");
  auto at = [values](std::size_t i) {
    Ref item = claimed_item(values, static_cast<Py_ssize_t>(i), "values");
    return to_int64(item.get(), "values", i);
  };
  return search_probing(static_cast<std::size_t>(n), at, targets_, k, deadline);
}

PyObject* search_buffer(PyObject* values, PyObject* targets, PyObject* repeat,
                        const Deadline& deadline) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  if (!PyObject_CheckBuffer(values)) {
    throw invalid_argument(
        "buffer mode needs an int64 buffer (array('q'), numpy int64, memoryview), got " +
        type_name(values));
  }
  // The buffer stays exported (alive and unresizable) until the search returns.
  const BufferView view(values);
  if (view->ndim != 1) {
    throw invalid_argument("values buffer must be 1-dimensional, got " +
                           std::to_string(view->ndim) + " dimensions");
  }
  if (!is_int64_format(view->format, view->itemsize)) {
    throw invalid_argument("values buffer must hold int64 (format 'q'), got format " +
                           quoted(view->format == nullptr ? "B" : view->format, 16) + " of " +
                           std::to_string(view->itemsize) + " bytes");
  }
  const auto n = static_cast<std::size_t>(view->shape[0]);
  const Py_ssize_t stride = view->strides[0];
  const auto address = reinterpret_cast<std::uintptr_t>(view->buf);
  if (stride == static_cast<Py_ssize_t>(sizeof(std::int64_t)) &&
      address % alignof(std::int64_t) == 0) {
    return search_native({static_cast<const std::int64_t*>(view->buf), n}, native_targets, k,
                         deadline);
  }
  // Strided (numpy a[::2]) or unaligned (a view at an odd offset): each probe is copied out
  // of place with memcpy, never read through a misaligned int64 pointer. Still zero-copy.
  const auto* base = static_cast<const char*>(view->buf);
  auto at = [base, stride](std::size_t i) {
    std::int64_t v;
    std::memcpy(&v, base + static_cast<Py_ssize_t>(i) * stride, sizeof v);
    return v;
  };
  std::vector<std::int64_t> out(native_targets.size());
  {
    GilRelease release;
    deadline.check();
    in_slices(
        native_targets.size(), k,
        [&](std::size_t first, std::size_t count) {
          for (std::size_t t = first; t < first + count; ++t) {
            out[t] = search_leftmost_by(n, at, native_targets[t]);
          }
        },
        [&] { deadline.check(); });
  }
  return to_pylist(out);
}

PyObject* search_resident(const SortedArray& array, PyObject* targets, PyObject* repeat,
                          const Deadline& deadline) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  return search_native(array.values(), native_targets, k, deadline, array.index());
}

PyObject* search_packed(const SortedArray& array, PyObject* request, PyObject* repeat,
                        const Deadline& deadline) {
  const std::int64_t k = to_repeat(repeat);
  if (!PyBytes_Check(request)) {
    throw invalid_argument("request must be bytes (a peaje.v1.SearchRequest message), got " +
                           type_name(request));
  }
  // bytes are immutable and held by the caller: their storage is read without the GIL.
  const std::span<const std::uint8_t> wire(
      reinterpret_cast<const std::uint8_t*>(PyBytes_AS_STRING(request)),
      static_cast<std::size_t>(PyBytes_GET_SIZE(request)));
  // Targets and answers in memory left uninitialised (each element is written before it is
  // read: the read fills exactly the count it was sized by, the search every answer).
  std::unique_ptr<std::int64_t[]> targets;
  std::unique_ptr<std::int64_t[]> found;
  std::size_t count = 0;
  auto decode_and_search = [&] {
    count = wire::count_search_request_targets(wire, k);
    targets = std::make_unique_for_overwrite<std::int64_t[]>(count);
    found = std::make_unique_for_overwrite<std::int64_t[]>(count);
    wire::read_search_request_targets(wire, {targets.get(), count});
    search_into(array.values(), {targets.get(), count}, {found.get(), count}, k, deadline,
                array.index());
  };
  // A body of kReleaseGilFromSearches bytes holds at most that many targets.
  if (is_big(wire.size(), k)) {
    GilRelease release;
    decode_and_search();
  } else {
    decode_and_search();
  }
  // The answer in one pass, into room for any answer over these values, then cut to its size.
  const std::span<const std::int64_t> answers(found.get(), count);
  const std::size_t room = wire::search_response_bound(count, array.size());
  Ref out(checked(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(room))));
  const std::size_t size = wire::write_search_response(
      answers, {reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(out.get())), room});
  if (size == room) return out.release();
  // A fresh bytes object (no other reference) may be resized; on failure it is freed and NULL.
  PyObject* resized = out.release();
  if (_PyBytes_Resize(&resized, static_cast<Py_ssize_t>(size)) != 0) return checked(resized);
  return resized;
}

// ---- resident data ---------------------------------------------------------------------------

SortedArray sorted_array_from_spec(PyObject* spec) {
  return SortedArray::from_spec(utf8_argument(spec, "dataset spec"));
}

PyObject* canonical_spec(PyObject* spec) {
  const std::string canonical = DatasetSpec::parse(utf8_argument(spec, "dataset spec")).canonical();
  return checked(
      PyUnicode_FromStringAndSize(canonical.data(), static_cast<Py_ssize_t>(canonical.size())));
}

SortedArray sorted_array(PyObject* values) {
  if (PyUnicode_Check(values)) return sorted_array_from_spec(values);
  return SortedArray(copy_sorted_values(values));
}

void check_sorted_values(PyObject* values) { (void)copy_sorted_values(values); }

// ---- bytes dict ------------------------------------------------------------------------------

PyObject* to_bytes_dict(PyObject* mapping, PyObject* errors_name, const Deadline& deadline) {
  const Utf8Errors errors = parse_utf8_errors(utf8_argument(errors_name, "errors"));
  Ref pairs;
  if (PyDict_Check(mapping) || PyObject_HasAttrString(mapping, "items")) {
    pairs = Ref(checked(PyObject_CallMethod(mapping, "items", nullptr)));
  } else {
    pairs = Ref::borrow(mapping);
  }
  Ref iterator(PyObject_GetIter(pairs.get()));
  if (!iterator) {
    PyErr_Clear();
    throw Error(
        ErrorKind::kWrongType,
        "expected a mapping or an iterable of (key, value) pairs, got " + type_name(mapping));
  }
  BytesDict dict;
  if (PyDict_Check(mapping)) {  // a real dict's size is its storage, not a claim
    dict.reserve(std::min(static_cast<std::size_t>(PyDict_GET_SIZE(mapping)), kMaxTrustedHint));
  }
  std::size_t position = 0;
  deadline.check();
  while (Ref entry{PyIter_Next(iterator.get())}) {
    Ref pair = entry_pair(std::move(entry), position);
    PyObject* key = PyTuple_GET_ITEM(pair.get(), 0);
    PyObject* value = PyTuple_GET_ITEM(pair.get(), 1);
    std::string key_bytes = entry_to_bytes(key, errors, {key, false});
    std::string value_bytes = entry_to_bytes(value, errors, {key, true});
    dict.insert(std::move(key_bytes), std::move(value_bytes));
    if (++position % static_cast<std::size_t>(kSearchesPerSlice) == 0) deadline.check();
  }
  if (PyErr_Occurred()) throw PythonError{};
  Ref out(checked(PyDict_New()));
  for (const auto& [key, value] : dict.entries()) {
    Ref k(checked(PyBytes_FromStringAndSize(key.data(), static_cast<Py_ssize_t>(key.size()))));
    Ref v(checked(PyBytes_FromStringAndSize(value.data(), static_cast<Py_ssize_t>(value.size()))));
    if (PyDict_SetItem(out.get(), k.get(), v.get()) != 0) throw PythonError{};
  }
  return out.release();
}

}  // namespace peaje::crossing
