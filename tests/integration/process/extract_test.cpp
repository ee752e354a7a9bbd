// `grin extract` against what `grin sync pipeline` stored for the same books: a real
// gpg-encrypted archive (encrypted here with the gpg binary), the decrypted .tar.gz sync
// kept, and an unpacked directory all give exactly sync's OCR JSONL.
#include <grin/archive/gunzip.hpp>

#include "sync_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;
using test::sync_fixture;

namespace {

class extract_fixture : public sync_fixture {
public:
    test::run_result extract(std::vector<std::string> args) {
        args.insert(args.begin(), "extract");
        return grin(args, 120s);
    }

    std::filesystem::path passphrase_file() {
        return emulator.credentials_dir / "gpg_passphrase.asc";
    }

    // `plain` encrypted by the real gpg with the emulator's passphrase.
    std::filesystem::path gpg_encrypt(const std::filesystem::path& plain,
                                      const std::filesystem::path& out) {
        auto home = work / "gnupg";
        std::filesystem::create_directories(home);
        std::filesystem::permissions(home, std::filesystem::perms::owner_all);
        auto result = test::run_command(
            "GNUPGHOME=" + home.string() +
            " gpg --batch --yes --quiet --pinentry-mode loopback --passphrase-file '" +
            passphrase_file().string() + "' --s2k-count 65536 --symmetric -o '" + out.string() +
            "' '" + plain.string() + "'");
        test::run_command("GNUPGHOME=" + home.string() + " gpgconf --kill gpg-agent");
        EXPECT_EQ(result.exit_code, 0) << result.output;
        return out;
    }
};

} // namespace

TEST_F(extract_fixture, gives_exactly_the_ocr_jsonl_sync_stores) {
    if (!test::have_program("gpg"))
        GTEST_SKIP() << "gpg not installed";
    shape.books = 8;
    start_emulator();
    collect();
    ASSERT_EQ(sync({"--queue", "converted"}).exit_code, 0);
    emulator::catalogue catalogue(shape.catalogue());
    std::vector<std::string> books; // synced books with OCR text
    for (std::uint64_t i = 0; i < shape.books && books.size() < 2; ++i)
        if (std::filesystem::exists(ocr_path(catalogue.at(i).barcode)))
            books.push_back(catalogue.at(i).barcode);
    ASSERT_EQ(books.size(), 2u);
    const std::string a = books[0], b = books[1];
    const std::string stored_a = slurp(ocr_path(a)), stored_b = slurp(ocr_path(b));

    auto inputs = work / "in";
    std::filesystem::create_directories(inputs);
    auto encrypted_a = gpg_encrypt(archive_path(a), inputs / (a + ".tar.gz.gpg"));
    auto plain_b = inputs / (b + ".tar.gz");
    std::filesystem::copy_file(archive_path(b), plain_b);

    // One encrypted input to a plain .jsonl: sync's JSONL, decompressed, byte for byte.
    auto one = extract({encrypted_a.string(), "--output", (work / "a.jsonl").string(),
                        "--passphrase-file", passphrase_file().string()});
    ASSERT_EQ(one.exit_code, 0) << one.output;
    EXPECT_NE(one.output.find("Processed 1 archives, extracted"), std::string::npos) << one.output;
    EXPECT_EQ(slurp(work / "a.jsonl"), archive::gunzip(stored_a));

    // A plain .tar.gz to .jsonl.gz: even the compressed bytes are sync's.
    auto two = extract({plain_b.string(), "-o", (work / "b.jsonl.gz").string()});
    ASSERT_EQ(two.exit_code, 0) << two.output;
    EXPECT_EQ(slurp(work / "b.jsonl.gz"), stored_b);

    // An unpacked directory (grin-transfer's input) gives the same lines.
    auto unpacked = work / (b + "_extracted");
    std::filesystem::create_directories(unpacked);
    ASSERT_EQ(
        test::run_command("tar -xzf '" + plain_b.string() + "' -C '" + unpacked.string() + "'")
            .exit_code,
        0);
    auto dir = extract({unpacked.string(), "--output", (work / "dir.jsonl").string()});
    ASSERT_EQ(dir.exit_code, 0) << dir.output;
    EXPECT_EQ(slurp(work / "dir.jsonl"), archive::gunzip(stored_b));

    // --output-dir with a corrupt input among good ones: exit 1, the good ones written,
    // nothing (not even a temporary) for the corrupt one.
    auto corrupt = inputs / "BROKEN1.tar.gz.gpg";
    {
        std::string bytes = slurp(encrypted_a);
        bytes.resize(bytes.size() / 2);
        std::ofstream(corrupt, std::ios::binary) << bytes;
    }
    auto out = work / "out";
    auto many = extract({encrypted_a.string(), corrupt.string(), plain_b.string(), "--output-dir",
                         out.string(), "--passphrase-file", passphrase_file().string()});
    EXPECT_EQ(many.exit_code, 1) << many.output;
    EXPECT_NE(many.output.find("Processed 2 archives"), std::string::npos) << many.output;
    EXPECT_NE(many.output.find("BROKEN1.tar.gz.gpg"), std::string::npos) << many.output;
    EXPECT_EQ(slurp(out / (a + "_ocr.jsonl.gz")), stored_a);
    EXPECT_EQ(slurp(out / (b + "_ocr.jsonl.gz")), stored_b);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(out))
        ++files;
    EXPECT_EQ(files, 2u);

    // Usage errors: --output with two inputs, or no output at all.
    auto both =
        extract({encrypted_a.string(), plain_b.string(), "--output", (work / "x.jsonl").string()});
    EXPECT_EQ(both.exit_code, 2) << both.output;
    EXPECT_NE(both.output.find("--output takes exactly one input"), std::string::npos)
        << both.output;
    EXPECT_FALSE(std::filesystem::exists(work / "x.jsonl"));
    EXPECT_EQ(extract({plain_b.string()}).exit_code, 2);
}
