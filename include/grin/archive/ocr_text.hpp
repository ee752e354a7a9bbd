#pragma once
// The page rules of grin-transfer's EXTRACT_OCR (grin-protocol.md 3.4), as pure functions:
// which tar members are pages, and how a page's bytes become one JSONL line.
// None of these throw (except std::bad_alloc). Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grin::archive {

// The member's base name (after the last '/'), as the extractor's recursive glob sees it.
std::string_view base_name(std::string_view member_name) noexcept;

// True for any "*.txt" base name (grin-transfer fails a book with none at all differently
// from one whose .txt files are all misnamed).
bool is_text_member(std::string_view member_name) noexcept;

// The page number of "NNNNNNNN.txt" (exactly 8 ASCII digits), 1..999,999; nullopt for
// anything else, including 00000000.txt and 01000000.txt.
std::optional<std::uint32_t> page_number(std::string_view member_name) noexcept;

// Python's bytes.decode("utf-8", errors="replace") followed by universal newlines:
// each maximal invalid subsequence becomes one U+FFFD, "\r\n" and a lone "\r" become
// "\n", a BOM stays. The result is valid UTF-8.
std::string decode_page_text(std::string_view raw);

// json.dumps(text, ensure_ascii=False) + "\n" for valid UTF-8 `text`.
std::string ocr_json_line(std::string_view text);

} // namespace grin::archive
