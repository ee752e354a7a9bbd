#include <grin/core/error.hpp>
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/pages.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <memory>
#include <vector>

#include "hashing.hpp"

namespace grin::emulator {
namespace {

const std::array<std::string_view, 24> words{"the",
                                             "of",
                                             "and",
                                             "widget",
                                             "PHYSICAL",
                                             "review",
                                             "Caf\xC3\xA9",
                                             "na\xC3\xAFve",
                                             "Zur",
                                             "Post",
                                             "\xE2\x80\x94",
                                             "volume",
                                             "page",
                                             "library",
                                             "Stra\xC3\x9F"
                                             "e",
                                             "river",
                                             "\xC3\x85ngstr\xC3\xB6m",
                                             "theorem",
                                             "letters",
                                             "in",
                                             "\"quoted\"",
                                             "tab\there",
                                             "1913",
                                             "\xCE\xB1\xCE\xB2\xCE\xB3"};

// MD5 for checksum.md5, computed while the members are written.
class md5 {
public:
    md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
    md5(const md5&) = delete;
    md5& operator=(const md5&) = delete;
    ~md5() { EVP_MD_CTX_free(ctx_); }
    void update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int length = 0;
        EVP_DigestFinal_ex(ctx_, digest.data(), &length);
        static const char digits[] = "0123456789abcdef";
        std::string out;
        for (unsigned i = 0; i < length; ++i) {
            out += digits[digest[i] >> 4];
            out += digits[digest[i] & 15];
        }
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

struct archive_deleter {
    void operator()(archive* a) const noexcept { archive_write_free(a); }
};

class tar_writer {
public:
    explicit tar_writer(const std::filesystem::path& out) : a_(archive_write_new()), out_(out) {
        check(archive_write_add_filter_gzip(a_.get()));
        // No mtime in the gzip header: identical inputs give identical bytes.
        check(archive_write_set_filter_option(a_.get(), "gzip", "timestamp", nullptr));
        check(archive_write_set_format_ustar(a_.get()));
        check(archive_write_open_filename(a_.get(), out.c_str()));
    }

    // `produce(chunk_sink)` must deliver exactly `size` bytes.
    template <typename Produce>
    std::string add(const std::string& name, std::uint64_t size, Produce&& produce) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                            archive_entry_free);
        archive_entry_set_pathname(entry.get(), name.c_str());
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_mtime(entry.get(), 1735689600, 0); // fixed: 2025-01-01
        archive_entry_set_uname(entry.get(), "grin");
        archive_entry_set_gname(entry.get(), "grin");
        check(archive_write_header(a_.get(), entry.get()));
        md5 sum;
        produce([&](const char* data, std::size_t n) {
            sum.update(data, n);
            if (archive_write_data(a_.get(), data, n) < 0) {
                fail();
            }
        });
        return sum.hex();
    }

    // A symlink (or, with `hard`, a hard link) member `name` -> `target`.
    void add_link(const std::string& name, const std::string& target, bool hard) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                            archive_entry_free);
        archive_entry_set_pathname(entry.get(), name.c_str());
        if (hard) {
            archive_entry_set_hardlink(entry.get(), target.c_str());
            archive_entry_set_filetype(entry.get(), AE_IFREG);
        } else {
            archive_entry_set_symlink(entry.get(), target.c_str());
            archive_entry_set_filetype(entry.get(), AE_IFLNK);
        }
        archive_entry_set_size(entry.get(), 0);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_mtime(entry.get(), 1735689600, 0);
        check(archive_write_header(a_.get(), entry.get()));
    }

    std::string add_text(const std::string& name, const std::string& text) {
        return add(name, text.size(), [&](auto&& sink) { sink(text.data(), text.size()); });
    }

    void close() { check(archive_write_close(a_.get())); }

private:
    void check(int status) {
        if (status < ARCHIVE_WARN) {
            fail();
        }
    }
    [[noreturn]] void fail() {
        const char* message = archive_error_string(a_.get());
        throw error(std::string("cannot write archive: ") + (message ? message : "unknown error"),
                    {.step = "archive", .url = out_.string()});
    }

    std::unique_ptr<archive, archive_deleter> a_;
    std::filesystem::path out_;
};

std::string page_name(std::uint32_t page, std::string_view extension) {
    std::array<char, 32> b{};
    std::snprintf(b.data(), b.size(), "%08u.", page);
    return std::string(b.data()) + std::string(extension);
}

std::string xml_escape(std::string_view text) {
    return html_escape(text);
}

std::string datafield(std::string_view tag,
                      std::initializer_list<std::pair<char, std::string>> subfields) {
    std::string out = "   <datafield tag=\"" + std::string(tag) + "\" ind1=\" \" ind2=\" \">";
    for (const auto& [code, value] : subfields) {
        out += "<subfield code=\"";
        out += code;
        out += "\">" + xml_escape(value) + "</subfield>";
    }
    return out + "</datafield>\n";
}

std::string hocr(const book& b, std::uint32_t page, const std::string& text) {
    std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                      xml_escape(b.barcode) + " page " + std::to_string(page) +
                      "</title></head>\n<body><div class=\"ocr_page\" id=\"page_" +
                      std::to_string(page) + "\" title=\"bbox 0 0 2000 3000\">\n";
    int x = 100;
    std::size_t start = 0;
    for (int n = 0; n < 12 && start < text.size(); ++n) {
        auto end = text.find_first_of(" \r\n", start);
        auto word = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        out += " <span class=\"ocrx_word\" title=\"bbox " + std::to_string(x) + " 200 " +
               std::to_string(x + 80) + " 240\">" + xml_escape(word) + "</span>\n";
        x += 90;
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return out + "</div></body></html>\n";
}

} // namespace

std::string
page_text(const book& b, std::uint32_t version, std::uint32_t page, std::uint64_t seed) {
    std::uint64_t state =
        detail::splitmix64(seed ^ detail::fnv1a64(b.barcode) ^ detail::splitmix64(page) ^
                           detail::splitmix64(version + 0x7E57));
    bool crlf = page % 5 == 0; // some pages have Windows line ends, as real OCR does
    std::string eol = crlf ? "\r\n" : "\n";
    std::string out = (b.title.empty() ? std::string("Untitled") : b.title) + " \xE2\x80\x94 " +
                      std::to_string(page) + eol;
    if (version > 0) {
        out += "Re-conversion " + std::to_string(version) + eol;
    }
    int lines = 6 + static_cast<int>((state = detail::splitmix64(state)) % 10);
    for (int l = 0; l < lines; ++l) {
        int count = 4 + static_cast<int>((state = detail::splitmix64(state)) % 8);
        for (int w = 0; w < count; ++w) {
            if (w > 0) {
                out += ' ';
            }
            out += words[(state = detail::splitmix64(state)) % words.size()];
        }
        out += eol;
    }
    return out;
}

std::string mets_xml(const book& b) {
    std::string title = b.title.empty() ? "Untitled" : b.title;
    std::array<char, 8> year{};
    std::snprintf(year.data(), year.size(), "%04d", b.publication_year);
    // 008: 40 positions; [6] date type, [7:11] date 1, [11:15] date 2, [35:38] language.
    std::string f008 = "750727s" + std::string(year.data()) + "    nyu";
    f008.resize(35, ' ');
    f008 += b.language + " d";
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<METS:mets xmlns:METS=\"http://www.loc.gov/METS/\" OBJID=\"" +
                      xml_escape(b.barcode) +
                      "\">\n"
                      " <METS:dmdSec ID=\"DMD1\"><METS:mdWrap MDTYPE=\"MARC\"><METS:xmlData>\n"
                      "  <record xmlns=\"http://www.loc.gov/MARC21/slim\">\n"
                      "   <leader>01234cam a2200301 a 4500</leader>\n"
                      "   <controlfield tag=\"001\">" +
                      b.marc_control_number +
                      "</controlfield>\n"
                      "   <controlfield tag=\"008\">" +
                      f008 + "</controlfield>\n";
    out += datafield("010", {{'a', "   " + b.lccn + " "}});
    out += datafield("020", {{'a', "978" + b.lccn.substr(0, 7) + "X"}});
    out += datafield("035", {{'a', "(OCoLC)" + b.oclc_number}});
    out += datafield("035", {{'a', "(HOLLIS)" + b.marc_control_number.substr(0, 9)}});
    out += datafield("050", {{'a', "QC" + std::to_string(b.index % 900 + 1)}});
    out += datafield("100", {{'a', "Doe, Jane, " + std::to_string(b.publication_year - 40) + "-"}});
    out += datafield("245", {{'a', title + "."}, {'b', "a digitized volume /"}});
    out += datafield("500", {{'a', "Emulated record for " + b.barcode + "."}});
    out += datafield("650", {{'a', "Widgets."}});
    out += datafield("650", {{'a', "Physics."}});
    out += datafield("655", {{'a', "Periodical."}});
    out += "  </record>\n </METS:xmlData></METS:mdWrap></METS:dmdSec>\n"
           " <METS:fileSec><METS:fileGrp USE=\"image\"/></METS:fileSec>\n</METS:mets>\n";
    return out;
}

namespace {

void build_members(const book& b,
                   std::uint32_t version,
                   const archive_content_params& params,
                   const std::filesystem::path& out,
                   archive_defect defect);

constexpr std::array<std::string_view, 12> defect_names{
    "none",           "empty",         "corrupt_openpgp", "wrong_passphrase",
    "truncated_gzip", "no_page_text",  "no_mets",         "invalid_mets",
    "two_xml",        "non_utf8_text", "page_gaps",       "hostile_entries"};

} // namespace

std::string_view to_string(archive_defect defect) noexcept {
    return defect_names[static_cast<std::size_t>(defect)];
}

std::optional<archive_defect> parse_archive_defect(std::string_view name) noexcept {
    for (std::size_t i = 0; i < defect_names.size(); ++i) {
        if (defect_names[i] == name) {
            return static_cast<archive_defect>(i);
        }
    }
    return std::nullopt;
}

void build_tarball(const book& b,
                   std::uint32_t version,
                   const archive_content_params& params,
                   const std::filesystem::path& out,
                   archive_defect defect) {
    { build_members(b, version, params, out, defect); }
    if (defect == archive_defect::truncated_gzip) {
        auto size = std::filesystem::file_size(out);
        std::filesystem::resize_file(out, size * 3 / 5);
    }
}

namespace {

void build_members(const book& b,
                   std::uint32_t version,
                   const archive_content_params& params,
                   const std::filesystem::path& out,
                   archive_defect defect) {
    tar_writer tar(out);
    std::vector<std::pair<std::string, std::string>> sums; // name, md5
    auto add_text = [&](const std::string& name, const std::string& text) {
        sums.emplace_back(name, tar.add_text(name, text));
    };
    if (defect == archive_defect::two_xml) {
        add_text("00000000-notes.xml", "<?xml version=\"1.0\"?>\n<notes>not the METS</notes>\n");
    }
    if (defect == archive_defect::invalid_mets) {
        auto broken = mets_xml(b);
        add_text(b.barcode + ".xml", broken.substr(0, broken.size() / 2));
    } else if (defect != archive_defect::no_mets) {
        add_text(b.barcode + ".xml", mets_xml(b));
    }
    if (defect == archive_defect::page_gaps) {
        add_text("00000000.txt", "page zero is not a page\n");
    }
    if (defect == archive_defect::hostile_entries) {
        // Names an unpacking reader must never follow (none is a page or the METS).
        tar.add_text("../../escape-" + b.barcode + ".txt", "outside the book\n");
        tar.add_text("/tmp/grin-hostile-" + b.barcode + ".txt", "absolute path\n");
        tar.add_link("passwd-link", "/etc/passwd", false);
        tar.add_link("shadow-link", "/etc/shadow", true);
    }
    for (std::uint32_t page = 1; page <= b.pages; ++page) {
        if (defect == archive_defect::page_gaps && page > 2 && page % 2 == 1) {
            continue;
        }
        auto jp2 = page_name(page, "jp2");
        std::uint64_t state =
            detail::splitmix64(params.seed ^ detail::fnv1a64(b.barcode) ^ detail::splitmix64(page) ^
                               detail::splitmix64(version));
        sums.emplace_back(jp2, tar.add(jp2, params.image_bytes_per_page, [&](auto&& sink) {
            std::array<char, 65536> chunk{};
            auto left = params.image_bytes_per_page;
            while (left > 0) {
                auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
                for (std::size_t i = 0; i < n; i += 8) {
                    state = detail::splitmix64(state);
                    for (std::size_t k = 0; k < 8 && i + k < n; ++k) {
                        chunk[i + k] = static_cast<char>(state >> (8 * k));
                    }
                }
                sink(chunk.data(), n);
                left -= n;
            }
        }));
        auto text = page_text(b, version, page, params.seed);
        add_text(page_name(page, "html"), hocr(b, page, text));
        if (defect == archive_defect::non_utf8_text) {
            text += "Latin-1 caf\xE9 and a stray \xFF byte\n";
        }
        if (defect != archive_defect::no_page_text) {
            add_text(page_name(page, "txt"), text);
        }
    }
    std::string checksums;
    for (const auto& [name, sum] : sums) {
        checksums += sum + "  " + name + "\n";
    }
    tar.add_text("checksum.md5", checksums);
    tar.close();
}

} // namespace

} // namespace grin::emulator
