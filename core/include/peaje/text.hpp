// Text shown back to a caller inside an error message: truncated on UTF-8 character boundaries
// (never in the middle of a character) and made printable, so every face can decode it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace peaje {

// At most `max_chars` characters of `text`, cut on a character boundary, then "..." when cut.
// Bytes that are not valid UTF-8 count as one character each and are kept as they are.
std::string truncate_utf8(std::string_view text, std::size_t max_chars);

// `text` between single quotes for a message: at most `max_chars` characters, control
// characters, NUL and bytes that are not valid UTF-8 written as \xNN (so a NUL never cuts the
// message short and the result is always valid UTF-8), a backslash as \\.
std::string quoted(std::string_view text, std::size_t max_chars = 64);

// `text` with control characters, NUL, DEL and bytes that are not valid UTF-8 written as \xNN,
// everything else as it is: always valid, printable UTF-8 (a message built from quoted() parts
// passes unchanged). For a message as a whole, where quoted() is for the caller's text in it.
std::string printable(std::string_view text);

}  // namespace peaje
