// Fuzzes what an archive from the network reaches: the tar.gz walker (on raw bytes, and on
// gzip-wrapped bytes so the tar parser itself is exercised), the whole book_processor,
// the page text rules and the METS/MARC extractor. The first byte picks the target.
#include <grin/archive/book_processor.hpp>
#include <grin/archive/marc_extractor.hpp>
#include <grin/archive/ocr_text.hpp>

#include <zlib.h>

#include <cstdint>
#include <string>

namespace {

std::string gzip_stored(const std::uint8_t* data, std::size_t size) {
    z_stream z{};
    deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, size) + 64, '\0');
    z.next_in = const_cast<Bytef*>(data);
    z.avail_in = static_cast<uInt>(size);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

void process(std::string_view targz, std::size_t chunk) {
    grin::archive::book_processor p(
        {.barcode = "FUZZ",
         .walker = {.max_extended_header = 4096},
         .ocr = {.max_pending_bytes = 1 << 20, .max_page_bytes = 1 << 20},
         .max_xml_bytes = 1 << 20});
    for (std::size_t at = 0; at < targz.size(); at += chunk) {
        auto piece = targz.substr(at, chunk);
        p.update({reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size()});
    }
    auto result = p.finish();
    if (result.ocr.status == grin::archive::extraction_status::ok && result.ocr.page_count == 0) {
        __builtin_trap(); // an ok OCR result always has pages
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    std::uint8_t mode = data[0] % 4;
    std::size_t chunk = 1 + data[1] * 7u;
    data += 2;
    size -= 2;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    switch (mode) {
    case 0:
        process(input, chunk);
        break;
    case 1:
        process(gzip_stored(data, size), chunk);
        break;
    case 2:
        (void)grin::archive::extract_marc(input);
        break;
    default:
        (void)grin::archive::page_number(input);
        (void)grin::archive::ocr_json_line(grin::archive::decode_page_text(input));
        break;
    }
    return 0;
}
