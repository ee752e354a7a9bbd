#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/archive_cache.hpp>
#include <grin/emulator/catalogue.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <test_support.hpp>
#include <thread>

using namespace grin::emulator;
namespace fs = std::filesystem;
using grin::test::run_command;

namespace {

book sample_book(std::uint64_t index = 3) {
    catalogue_params p;
    p.seed = 21;
    p.book_count = 50;
    p.min_pages = 3;
    p.max_pages = 5;
    return catalogue(p).at(index);
}

std::string sh_quote(const fs::path& p) {
    return "'" + p.string() + "'";
}

// Decrypts with the real gpg in its own throw-away GNUPGHOME.
grin::test::command_result gpg_decrypt(const fs::path& home,
                                       const fs::path& passphrase_file,
                                       const fs::path& in,
                                       const fs::path& out) {
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    auto result = run_command(
        "GNUPGHOME=" + sh_quote(home) +
            " gpg --batch --quiet --yes --pinentry-mode loopback --passphrase-file " +
            sh_quote(passphrase_file) + " --output " + sh_quote(out) + " --decrypt " + sh_quote(in),
        std::chrono::seconds(60));
    run_command("GNUPGHOME=" + sh_quote(home) + " gpgconf --kill gpg-agent",
                std::chrono::seconds(10));
    return result;
}

archive_cache_params cache_params(const fs::path& dir) {
    archive_cache_params p;
    p.data_dir = dir;
    p.seed = 21;
    p.passphrase = "amber basalt cedar";
    p.s2k_count = 1024; // raised to 65536: gpg ignores lower counts
    p.image_bytes_per_page = 1024;
    return p;
}

} // namespace

TEST(archive_builder, deterministic_bytes_and_version_changes_them) {
    grin::test::temp_dir dir;
    auto b = sample_book();
    archive_content_params p{.seed = 21, .image_bytes_per_page = 3000};
    build_tarball(b, 0, p, dir / "a.tar.gz");
    build_tarball(b, 0, p, dir / "b.tar.gz");
    build_tarball(b, 1, p, dir / "c.tar.gz");
    auto a = grin::read_file(dir / "a.tar.gz");
    EXPECT_GT(a.size(), 3000u * b.pages / 2);
    EXPECT_EQ(a, grin::read_file(dir / "b.tar.gz"));
    EXPECT_NE(a, grin::read_file(dir / "c.tar.gz"));
}

TEST(archive_builder, untars_to_the_expected_members) {
    if (!grin::test::have_program("tar") || !grin::test::have_program("md5sum")) {
        GTEST_SKIP() << "tar/md5sum not installed";
    }
    grin::test::temp_dir dir;
    auto b = sample_book();
    build_tarball(b, 0, {.seed = 21, .image_bytes_per_page = 1000}, dir / "x.tar.gz");
    auto listing = run_command("tar -tzf " + sh_quote(dir / "x.tar.gz") + " | sort");
    ASSERT_EQ(listing.exit_code, 0) << listing.output;
    std::string expected;
    std::vector<std::string> names{"checksum.md5", b.barcode + ".xml"};
    for (std::uint32_t page = 1; page <= b.pages; ++page) {
        char base[16];
        std::snprintf(base, sizeof base, "%08u", page);
        for (auto ext : {".html", ".jp2", ".txt"}) {
            names.push_back(base + std::string(ext));
        }
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        expected += n + "\n";
    }
    EXPECT_EQ(listing.output, expected);

    auto out = dir / "x";
    fs::create_directories(out);
    ASSERT_EQ(
        run_command("tar -xzf " + sh_quote(dir / "x.tar.gz") + " -C " + sh_quote(out)).exit_code,
        0);
    EXPECT_EQ(grin::read_file(out / "00000001.txt"), page_text(b, 0, 1, 21));
    EXPECT_EQ(grin::read_file(out / (b.barcode + ".xml")), mets_xml(b));
    EXPECT_EQ(fs::file_size(out / "00000002.jp2"), 1000u);
    auto check = run_command("cd " + sh_quote(out) + " && md5sum -c --quiet checksum.md5");
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(archive_builder, page_text_and_mets_carry_the_book) {
    auto b = sample_book();
    auto first = page_text(b, 0, 1, 21);
    EXPECT_NE(first.find(b.title.empty() ? "Untitled" : b.title), std::string::npos);
    EXPECT_NE(page_text(b, 0, 5, 21).find("\r\n"), std::string::npos); // every 5th page CRLF
    EXPECT_EQ(page_text(b, 0, 4, 21).find('\r'), std::string::npos);
    EXPECT_NE(page_text(b, 2, 1, 21), first);
    auto mets = mets_xml(b);
    EXPECT_NE(mets.find("xmlns:METS=\"http://www.loc.gov/METS/\""), std::string::npos);
    EXPECT_NE(mets.find("<record xmlns=\"http://www.loc.gov/MARC21/slim\">"), std::string::npos);
    EXPECT_NE(mets.find("<controlfield tag=\"001\">" + b.marc_control_number + "</controlfield>"),
              std::string::npos);
    EXPECT_NE(mets.find("(OCoLC)" + b.oclc_number), std::string::npos);
    auto f008_at = mets.find("<controlfield tag=\"008\">") + 24;
    auto f008 = mets.substr(f008_at, mets.find('<', f008_at) - f008_at);
    ASSERT_EQ(f008.size(), 40u);
    EXPECT_EQ(f008.substr(7, 4), std::to_string(b.publication_year));
    EXPECT_EQ(f008.substr(35, 3), b.language);
}

TEST(archive_cache, encrypts_with_gpg_decrypts_and_reuses_the_cache) {
    if (!grin::test::have_program("gpg") || !grin::test::have_program("md5sum")) {
        GTEST_SKIP() << "gpg/md5sum not installed";
    }
    grin::test::temp_dir dir;
    auto b = sample_book();
    archive_file first;
    {
        archive_cache cache(cache_params(dir.path()));
        first = cache.get(b, 0);
        EXPECT_EQ(cache.gpg_runs(), 1u);
        EXPECT_EQ(cache.get(b, 0).etag, first.etag); // in-process reuse
        EXPECT_EQ(cache.gpg_runs(), 1u);
    }
    ASSERT_TRUE(fs::exists(first.path));
    EXPECT_EQ(first.size, fs::file_size(first.path));
    ASSERT_EQ(first.etag.size(), 32u);
    auto md5 = run_command("md5sum " + sh_quote(first.path));
    EXPECT_EQ(md5.output.substr(0, 32), first.etag);
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / "gnupg").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    // Real gpg decrypts it to exactly the tarball the builder makes.
    grin::write_file_atomically(dir / "pass", "amber basalt cedar\n", 0600);
    auto decrypted = dir / "out.tar.gz";
    auto result = gpg_decrypt(dir / "home", dir / "pass", first.path, decrypted);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    build_tarball(b, 0, {.seed = 21, .image_bytes_per_page = 1024}, dir / "expected.tar.gz");
    EXPECT_EQ(grin::read_file(decrypted), grin::read_file(dir / "expected.tar.gz"));
    EXPECT_EQ(run_command("tar -tzf " + sh_quote(decrypted) + " 00000001.txt").exit_code, 0);
    auto packets =
        run_command("GNUPGHOME=" + sh_quote(dir / "home") +
                    " gpg --batch --list-packets --pinentry-mode loopback --passphrase-file " +
                    sh_quote(dir / "pass") + " " + sh_quote(first.path) +
                    " 2>&1; GNUPGHOME=" + sh_quote(dir / "home") + " gpgconf --kill gpg-agent");
    EXPECT_NE(packets.output.find("count 65536"), std::string::npos) << packets.output;

    // A new process (new cache object) over the same data dir: no gpg, same ETag.
    archive_cache again(cache_params(dir.path()));
    auto reused = again.get(b, 0);
    EXPECT_EQ(again.gpg_runs(), 0u);
    EXPECT_EQ(reused.etag, first.etag);
    // Re-conversion: new bytes, new ETag, old version untouched.
    auto v1 = again.get(b, 1);
    EXPECT_EQ(again.gpg_runs(), 1u);
    EXPECT_NE(v1.etag, first.etag);
    EXPECT_NE(v1.path, first.path);
    EXPECT_TRUE(fs::exists(first.path));
}

TEST(archive_cache, concurrent_requests_build_once) {
    if (!grin::test::have_program("gpg")) {
        GTEST_SKIP() << "gpg not installed";
    }
    grin::test::temp_dir dir;
    archive_cache cache(cache_params(dir.path()));
    auto b = sample_book(7), c = sample_book(8);
    std::vector<std::thread> threads;
    std::vector<std::string> etags(6);
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] { etags[i] = cache.get(i % 2 ? b : c, 0).etag; });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(cache.gpg_runs(), 2u);
    for (int i = 2; i < 6; ++i) {
        EXPECT_EQ(etags[i], etags[i % 2]);
    }
    EXPECT_NE(etags[0], etags[1]);
    // No temporaries left behind next to the cache.
    for (const auto& entry : fs::recursive_directory_iterator(dir / "archives")) {
        EXPECT_EQ(entry.path().filename().string().rfind(".build-", 0), std::string::npos)
            << entry.path();
    }
}

TEST(archive_cache, gpg_failure_is_a_grin_error_and_leaves_no_file) {
    grin::test::temp_dir dir;
    auto p = cache_params(dir.path());
    p.gpg_program = "false";
    archive_cache cache(p);
    auto b = sample_book();
    try {
        cache.get(b, 0);
        FAIL() << "no throw";
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "encrypt");
    }
    EXPECT_FALSE(fs::exists(cache.path_for(b, 0)));
}

TEST(archive_cache, prebuild_on_threads_then_requests_reuse) {
    if (!grin::test::have_program("gpg")) {
        GTEST_SKIP() << "gpg not installed";
    }
    grin::test::temp_dir dir;
    archive_cache cache(cache_params(dir.path()));
    std::vector<book> books{sample_book(1), sample_book(2), sample_book(3)};
    cache.prebuild(books, 2);
    EXPECT_EQ(cache.gpg_runs(), 3u);
    for (const auto& b : books) {
        EXPECT_TRUE(fs::exists(cache.get(b, 0).path));
    }
    EXPECT_EQ(cache.gpg_runs(), 3u);
}

TEST(archive_builder, content_defects) {
    if (!grin::test::have_program("tar") || !grin::test::have_program("gzip")) {
        GTEST_SKIP() << "tar/gzip not installed";
    }
    grin::test::temp_dir dir;
    catalogue_params cp;
    cp.seed = 21;
    cp.book_count = 10;
    cp.min_pages = 6;
    cp.max_pages = 6;
    auto b = catalogue(cp).at(1);
    auto list = [&](archive_defect defect) {
        auto path = dir / (std::string(to_string(defect)) + ".tar.gz");
        build_tarball(b, 0, {.seed = 21, .image_bytes_per_page = 100}, path, defect);
        return run_command("tar -tzf " + sh_quote(path) + " | sort").output;
    };
    auto count = [](const std::string& text, const std::string& needle) {
        std::size_t n = 0;
        for (auto pos = text.find(needle); pos != std::string::npos;
             pos = text.find(needle, pos + 1)) {
            ++n;
        }
        return n;
    };
    EXPECT_EQ(count(list(archive_defect::none), ".txt"), 6u);
    EXPECT_EQ(count(list(archive_defect::no_page_text), ".txt"), 0u);
    EXPECT_EQ(count(list(archive_defect::no_mets), ".xml"), 0u);
    EXPECT_EQ(count(list(archive_defect::two_xml), ".xml"), 2u);
    auto gaps = list(archive_defect::page_gaps);
    EXPECT_NE(gaps.find("00000000.txt"), std::string::npos);
    EXPECT_EQ(gaps.find("00000003.txt"), std::string::npos);
    EXPECT_NE(gaps.find("00000004.txt"), std::string::npos);

    auto mets_dir = dir / "invalid";
    fs::create_directories(mets_dir);
    build_tarball(b, 0, {.seed = 21, .image_bytes_per_page = 100}, dir / "inv.tar.gz",
                  archive_defect::invalid_mets);
    run_command("tar -xzf " + sh_quote(dir / "inv.tar.gz") + " -C " + sh_quote(mets_dir));
    auto mets = grin::read_file(mets_dir / (b.barcode + ".xml"));
    EXPECT_EQ(mets.find("</METS:mets>"), std::string::npos);

    auto latin_dir = dir / "latin";
    fs::create_directories(latin_dir);
    build_tarball(b, 0, {.seed = 21, .image_bytes_per_page = 100}, dir / "l.tar.gz",
                  archive_defect::non_utf8_text);
    run_command("tar -xzf " + sh_quote(dir / "l.tar.gz") + " -C " + sh_quote(latin_dir));
    EXPECT_NE(grin::read_file(latin_dir / "00000001.txt").find("caf\xE9"), std::string::npos);

    build_tarball(b, 0, {.seed = 21, .image_bytes_per_page = 100}, dir / "t.tar.gz",
                  archive_defect::truncated_gzip);
    EXPECT_NE(run_command("gzip -t " + sh_quote(dir / "t.tar.gz")).exit_code, 0);
    EXPECT_EQ(run_command("gzip -t " + sh_quote(dir / "none.tar.gz")).exit_code, 0);
    EXPECT_EQ(parse_archive_defect("page_gaps"), archive_defect::page_gaps);
    EXPECT_FALSE(parse_archive_defect("nope"));
}

TEST(archive_cache, container_defects_fail_decryption) {
    if (!grin::test::have_program("gpg")) {
        GTEST_SKIP() << "gpg not installed";
    }
    grin::test::temp_dir dir;
    archive_cache cache(cache_params(dir.path()));
    auto b = sample_book();
    grin::write_file_atomically(dir / "pass", "amber basalt cedar\n", 0600);
    auto good = cache.get(b, 0);
    EXPECT_EQ(gpg_decrypt(dir / "h1", dir / "pass", good.path, dir / "good.tar.gz").exit_code, 0);
    auto empty = cache.get(b, 0, archive_defect::empty);
    EXPECT_EQ(empty.size, 0u);
    EXPECT_EQ(empty.etag, "d41d8cd98f00b204e9800998ecf8427e");
    for (auto defect : {archive_defect::corrupt_openpgp, archive_defect::wrong_passphrase}) {
        auto bad = cache.get(b, 0, defect);
        EXPECT_NE(bad.etag, good.etag);
        EXPECT_NE(bad.path, good.path);
        auto md5 = run_command("md5sum " + sh_quote(bad.path));
        EXPECT_EQ(md5.output.substr(0, 32), bad.etag) << to_string(defect);
        auto result = gpg_decrypt(dir / ("h-" + std::string(to_string(defect))), dir / "pass",
                                  bad.path, dir / "bad.tar.gz");
        EXPECT_NE(result.exit_code, 0) << to_string(defect) << result.output;
    }
    // The good archive is untouched by the defective variants.
    EXPECT_EQ(cache.get(b, 0).etag, good.etag);
}
