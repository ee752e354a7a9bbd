#include <grin/archive/gzip_file.hpp>
#include <grin/archive/gzip_writer.hpp>
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>

#include <fstream>

namespace grin::archive {

void gzip_file(const std::filesystem::path& source,
               const std::filesystem::path& target,
               int level) {
    std::ifstream in(source, std::ios::binary);
    if (!in)
        throw error("cannot read " + source.string(), {.step = "compress", .url = source.string()});
    atomic_file out(target);
    gzip_writer gzip(
        [&out](bytes_view bytes) {
            out.write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        },
        level);
    std::string buffer(1 << 20, '\0');
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto got = static_cast<std::size_t>(in.gcount());
        if (got > 0)
            gzip.write(std::string_view(buffer.data(), got));
    }
    if (in.bad())
        throw error("error reading " + source.string(),
                    {.step = "compress", .url = source.string()});
    gzip.finish();
    out.commit();
}

} // namespace grin::archive
