// Bad input (issue #8, part 3): malformed HTML/TSV/archive bytes and oversized headers
// from GRIN, hostile tar entries in an archive, invalid barcodes and non-UTF-8 names on
// the command line. Each must give a clear error and a documented exit code, never a
// crash (the CI build runs with ASan+UBSan), and nothing may be written outside the
// run's directories; then a rerun without the bad input syncs every book exactly once.
#include <gtest/gtest.h>

#include "reliability_fixture.hpp"
#include "s3_servers.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

class bad_input : public test::reliability_fixture {
public:
    std::vector<std::string> collect_args() {
        return {"collect",       "--run-name",           run_name,
                "--output-root", output_root().string(), "--library-directory",
                shape.library,   "--grin-base-url",      emulator.url + "/libraries/",
                "--ca-file",     emulator.ca_file,       "--storage",
                "local",         "--storage-path",       storage_root().string()};
    }

    // Entries of `work` outside the run's directories (output/<run>/, storage/) and the
    // emulator's own files: what a "nothing written elsewhere" check compares.
    std::vector<test::file_state> outside_the_run() {
        std::vector<test::file_state> kept;
        for (auto& entry : test::directory_state(work.path())) {
            const std::string& name = entry.name;
            bool ours = name.rfind("output/", 0) == 0 || name.rfind("storage/", 0) == 0 ||
                        name.rfind("emulator", 0) == 0 || name.rfind("expected-", 0) == 0 ||
                        name == "./" || name == "output/" || name == "storage/";
            if (!ours)
                kept.push_back(entry);
        }
        return kept;
    }
};

TEST_F(bad_input, malformed_listings_and_oversized_headers_fail_clearly) {
    describe_case(
        "malformed GRIN answers",
        "junk HTML list page, TSV and archive body; invalid METS XML; 96 KiB of HEAD headers");
    shape.books = 12;
    start_emulator();
    auto outside_before = outside_the_run();
    // 1. The _all_books page is junk (cut-off markup, NULs, invalid UTF-8 in a title cell).
    add_fault("route=all_books,fault=garbage_body,first=50");
    auto bad_collect = grin(collect_args(), 120s);
    EXPECT_TRUE(test::documented_exit(bad_collect.exit_code)) << tail(bad_collect.output);
    EXPECT_NE(bad_collect.exit_code, 0) << tail(bad_collect.output);
    clear_faults();
    auto good_collect = grin(collect_args(), 120s);
    ASSERT_EQ(good_collect.exit_code, 0) << tail(good_collect.output);
    // 2. enrich: the _barcode_search TSV is junk.
    add_fault("route=barcode_search,fault=garbage_body,first=50");
    auto bad_enrich =
        grin({"enrich", "--run-name", run_name, "--output-root", output_root().string()}, 120s);
    EXPECT_TRUE(test::documented_exit(bad_enrich.exit_code)) << tail(bad_enrich.output);
    EXPECT_NE(bad_enrich.exit_code, 0) << tail(bad_enrich.output);
    clear_faults();
    // Junk is not "no book known": the rerun still has all twelve to enrich.
    auto good_enrich =
        grin({"enrich", "--run-name", run_name, "--output-root", output_root().string()}, 120s);
    EXPECT_EQ(good_enrich.exit_code, 0) << tail(good_enrich.output);
    EXPECT_NE(good_enrich.output.find("12 enriched"), std::string::npos)
        << tail(good_enrich.output);
    // 3. Sync: two books' HEAD answers carry 96 KiB of headers, one archive is junk, one
    // book's METS XML is not well-formed.
    const std::string bad_mets = emulator::catalogue(shape.catalogue()).barcode_at(3);
    control("defect", "barcode=" + bad_mets + "&kind=invalid_mets");
    served_defects[bad_mets] = emulator::archive_defect::invalid_mets;
    add_fault("route=archive_head,fault=huge_headers,first=2");
    add_fault("route=archive_get,fault=garbage_body,first=1");
    auto bad_sync = sync({"--queue", "converted"}, 120s);
    EXPECT_TRUE(bad_sync.exit_code == 0 || bad_sync.exit_code == 1) << tail(bad_sync.output);
    auto synced = completed_counts().size();
    EXPECT_LT(synced, shape.books) << "the junk archive cannot have been stored";
    EXPECT_EQ(integrity_check(), "ok");
    EXPECT_EQ(outside_the_run(), outside_before) << "something was written outside the run";
    outcome = "collect exit " + std::to_string(bad_collect.exit_code) + "; enrich exit " +
              std::to_string(bad_enrich.exit_code) + "; sync exit " +
              std::to_string(bad_sync.exit_code) + ", " + std::to_string(synced) +
              "/12 synced, nothing written outside the run";
    rerun_and_verify();
}

TEST_F(bad_input, hostile_tar_entries_write_nothing_outside) {
    describe_case(
        "hostile tar entries",
        "../, absolute path, symlink, hardlink, non-UTF-8 METS; 8 GiB declared size; gpg");
    ASSERT_TRUE(test::have_program("gpg"));
    auto sandbox = work / "sandbox";
    auto out = sandbox / "out";
    std::filesystem::create_directories(out);
    auto escape_abs = work / "absolute-escape.txt";
    auto passphrase = sandbox / "passphrase.asc";
    std::ofstream(passphrase) << "hostile-test-passphrase\n";
    std::filesystem::permissions(passphrase, std::filesystem::perms(0600));
    // HOSTILE1: path tricks (../, absolute, symlink, hardlink, non-UTF-8 METS) around real
    // pages. HOSTILE2: a member whose header declares 8 GiB but whose data stops after 4 KiB.
    const std::string script =
        "import gzip, io, sys, tarfile\n"
        "out, absolute, huge = sys.argv[1], sys.argv[2], sys.argv[3] == 'huge'\n"
        "def add(tar, name, data):\n"
        "    info = tarfile.TarInfo(name); info.size = len(data)\n"
        "    tar.addfile(info, io.BytesIO(data))\n"
        "raw = io.BytesIO()\n"
        "tar = tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT)\n"
        "add(tar, '00000001.txt', b'page one\\n')\n"
        "if not huge:\n"
        "    add(tar, '../00000002.txt', b'escape up\\n')\n"
        "    add(tar, '../../../../../../escape-up.txt', b'escape far up\\n')\n"
        "    add(tar, absolute, b'absolute\\n')\n"
        "    link = tarfile.TarInfo('00000003.txt'); link.type = tarfile.SYMTYPE\n"
        "    link.linkname = '/etc/passwd'; tar.addfile(link)\n"
        "    hard = tarfile.TarInfo('00000004.txt'); hard.type = tarfile.LNKTYPE\n"
        "    hard.linkname = '/etc/shadow'; tar.addfile(hard)\n"
        "    add(tar, 'HOSTILE1.xml', b'<mets>\\xff\\xfe not xml')\n"
        "    add(tar, '00000005.txt', b'page five\\n')\n"
        "    tar.close()\n"
        "    data = bytearray(raw.getvalue())\n"
        "else:\n"
        "    add(tar, '00000002.txt', b'x' * 4096)\n"
        "    end = tar.offset\n"
        "    data = bytearray(raw.getvalue()[:end])\n"
        "    header = end - 512 - 4096\n"
        "    data[header + 124:header + 136] = b'%011o\\0' % ((8 << 30) - 1)\n"
        "    data[header + 148:header + 156] = b'        '\n"
        "    data[header + 148:header + 156] = b'%06o\\0 ' % sum(data[header:header + 512])\n"
        "with open(out, 'wb') as f: f.write(gzip.compress(bytes(data)))\n";
    std::vector<std::filesystem::path> encrypted;
    for (const std::string name : {"HOSTILE1", "HOSTILE2"}) {
        auto tarball = sandbox / (name + ".tar.gz");
        auto made = test::run_command("python3 -c " + test::shell_quote(script) + " " +
                                      tarball.string() + " " + escape_abs.string() + " " +
                                      (name == "HOSTILE2" ? "huge" : "paths"));
        ASSERT_EQ(made.exit_code, 0) << made.output;
        encrypted.push_back(sandbox / (name + ".tar.gz.gpg"));
        auto gpg =
            test::run_command("GNUPGHOME=" + (sandbox / "gnupg").string() +
                              " sh -c 'mkdir -m700 -p \"$GNUPGHOME\" && "
                              "gpg --batch --yes --pinentry-mode loopback --passphrase-file " +
                              passphrase.string() + " --s2k-count 65536 --symmetric -o " +
                              encrypted.back().string() + " " + tarball.string() + "'");
        ASSERT_EQ(gpg.exit_code, 0) << gpg.output;
    }

    auto before = test::directory_state(work.path());
    // Run from inside out/: a relative "../" would land in the sandbox.
    auto in_out = [&](const std::string& command) {
        return test::run_command("cd " + out.string() + " && " +
                                     test::built_binary("grin").string() + " " + command + " 2>&1",
                                 60s);
    };
    auto extract =
        in_out("extract " + encrypted[0].string() + " " + encrypted[1].string() + " --output-dir " +
               out.string() + " --uncompressed --passphrase-file " + passphrase.string());
    auto decrypt =
        in_out("decrypt " + encrypted[0].string() + " " + (out / "plain.tar.gz").string() +
               " --passphrase-file " + passphrase.string());
    std::cout << "[hostile tar] extract said: " << extract.output << std::endl;
    EXPECT_TRUE(test::documented_exit(extract.exit_code)) << extract.output;
    EXPECT_TRUE(test::documented_exit(decrypt.exit_code)) << decrypt.output;
    EXPECT_EQ(decrypt.exit_code, 0) << decrypt.output; // the OpenPGP layer is sound
    // The 8 GiB member fails its archive with a clear reason and leaves no file.
    EXPECT_EQ(extract.exit_code, 1) << extract.output;
    EXPECT_NE(extract.output.find("HOSTILE2"), std::string::npos) << extract.output;
    EXPECT_FALSE(std::filesystem::exists(out / "HOSTILE2_ocr.jsonl"));
    // The path tricks: pages are found by basename wherever they sit (grin-protocol.md
    // 3.2), and read from the stream, never unpacked: "../00000002.txt" is page 2, the
    // links are empty pages (their targets are never opened), other names are no pages.
    std::string pages = slurp(out / "HOSTILE1_ocr.jsonl");
    std::cout << "[hostile tar] HOSTILE1 pages: " << pages << std::endl;
    EXPECT_EQ(pages, "\"page one\\n\"\n\"escape up\\n\"\n\"\"\n\"\"\n\"page five\\n\"\n");
    EXPECT_EQ(pages.find("root:"), std::string::npos) << pages; // /etc/passwd never read
    EXPECT_NE(pages.find("page one"), std::string::npos) << pages;
    EXPECT_FALSE(std::filesystem::exists(escape_abs));
    EXPECT_FALSE(std::filesystem::exists(sandbox / "00000002.txt"));
    EXPECT_FALSE(std::filesystem::exists(sandbox / "escape-up.txt"));
    // Every change is inside out/.
    auto after = test::directory_state(work.path());
    std::set<std::string> changed;
    for (const auto& entry : after)
        if (std::find(before.begin(), before.end(), entry) == before.end())
            changed.insert(entry.name);
    for (const auto& entry : before)
        if (std::find(after.begin(), after.end(), entry) == after.end())
            changed.insert(entry.name);
    for (const auto& name : changed)
        EXPECT_EQ(name.rfind("sandbox/out/", 0), 0u) << "written outside out/: " << name;
    outcome = "extract exit " + std::to_string(extract.exit_code) +
              " (8 GiB member: archive failed, no file; path tricks read as pages, links "
              "not followed), decrypt exit " +
              std::to_string(decrypt.exit_code) + ", " + std::to_string(changed.size()) +
              " changes, all inside the output dir";
    books_lost = 0; // no book of a run is involved
}

TEST_F(bad_input, invalid_barcodes_and_non_utf8_names_are_refused_or_handled) {
    describe_case("invalid barcodes / non-UTF-8",
                  "--barcodes ../../etc/passwd, ab, a/b; --barcodes-file with such lines; "
                  "a non-UTF-8 file name");
    shape.books = 6;
    start_emulator();
    collect();
    auto before = test::directory_state(run_dir());
    std::vector<std::string> refused;
    for (const std::string list : {"../../etc/passwd", "ab", "AB1234,a/b", "%2e%2e", "B\xff\xfe"}) {
        auto result = sync({"--barcodes", list}, 60s);
        EXPECT_EQ(result.exit_code, 2) << list << ": " << tail(result.output);
        EXPECT_NE(result.output.find("invalid barcode"), std::string::npos) << tail(result.output);
        refused.push_back(list);
    }
    auto bad_file = work / "barcodes.txt";
    std::ofstream(bad_file) << "# comment\n"
                            << emulator::catalogue(shape.catalogue()).barcode_at(0)
                            << "\n../escape\n";
    auto from_file = sync({"--barcodes-file", bad_file.string()}, 60s);
    EXPECT_EQ(from_file.exit_code, 2) << tail(from_file.output);
    EXPECT_NE(from_file.output.find("line 3"), std::string::npos) << tail(from_file.output);
    EXPECT_EQ(test::directory_state(run_dir()), before) << "a refused command wrote to the run";

    // A barcodes file whose own name is not UTF-8 but whose lines are valid: synced.
    auto odd_name = work / std::string("barcodes-\xff\xfe.txt");
    {
        std::ofstream list(odd_name);
        emulator::catalogue catalogue(shape.catalogue());
        for (std::uint64_t i = 0; i < catalogue.size(); ++i)
            list << catalogue.barcode_at(i) << "\r\n";
    }
    auto odd = sync({"--barcodes-file", odd_name.string()}, 120s);
    EXPECT_EQ(odd.exit_code, 0) << tail(odd.output);
    outcome = std::to_string(refused.size() + 1) +
              " invalid inputs refused with exit 2, run untouched; non-UTF-8 file name: exit " +
              std::to_string(odd.exit_code);
    rerun_and_verify();
}

} // namespace

namespace {

bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80           ? 1
                             : (c >> 5) == 0x6  ? 2
                             : (c >> 4) == 0xE  ? 3
                             : (c >> 3) == 0x1E ? 4
                                                : 0;
        if (length == 0 || i + length > text.size())
            return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
                return false;
        i += length;
    }
    return true;
}

TEST_F(bad_input, latin1_titles_are_stored_as_utf8) {
    describe_case("non-UTF-8 titles", "list pages re-encoded as Latin-1 (Caf\xC3\xA9 -> Caf\\xE9)");
    shape.books = 40;
    start_emulator();
    add_fault("route=all_books,fault=latin1_body,first=100");
    collect(); // asserts exit 0
    EXPECT_GT(faults_injected(), 0u);
    emulator::catalogue catalogue(shape.catalogue());
    SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
    std::size_t non_ascii = 0, checked = 0;
    for (std::uint64_t i = 0; i < catalogue.size(); ++i) {
        auto book = catalogue.at(i);
        SQLite::Statement query(db, "SELECT coalesce(title, '') FROM books WHERE barcode = ?");
        query.bind(1, book.barcode);
        ASSERT_TRUE(query.executeStep()) << book.barcode;
        std::string title = query.getColumn(0).getString();
        EXPECT_TRUE(valid_utf8(title)) << book.barcode << ": " << title;
        // The parser reads a byte that is not UTF-8 as Latin-1: the title comes back whole.
        EXPECT_EQ(title, book.title) << book.barcode;
        bool wide = std::any_of(book.title.begin(), book.title.end(),
                                [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
        non_ascii += wide ? 1 : 0;
        ++checked;
    }
    EXPECT_GT(non_ascii, 0u) << "no title exercised the re-encoding";
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    outcome = "collect exit 0, " + std::to_string(checked) + " titles valid UTF-8 (" +
              std::to_string(non_ascii) + " non-ASCII) and equal to GRIN's";
    rerun_and_verify();
}

} // namespace

namespace {

TEST_F(bad_input, hostile_tar_entries_served_by_grin_are_never_unpacked) {
    describe_case("hostile tar via sync",
                  "2 archives with ../../, /tmp absolute, symlink and hard-link members");
    shape.books = 6;
    start_emulator();
    collect();
    emulator::catalogue catalogue(shape.catalogue());
    std::vector<std::string> hostile = {catalogue.barcode_at(1), catalogue.barcode_at(4)};
    for (const auto& barcode : hostile) {
        auto answer = control("defect", "barcode=" + barcode + "&kind=hostile_entries");
        ASSERT_TRUE(answer.is_object() && answer.value("defect", "") == "hostile_entries")
            << answer.dump();
        served_defects[barcode] = emulator::archive_defect::hostile_entries;
    }
    auto before = outside_the_run();
    auto result = sync({"--queue", "converted"}, 120s);
    EXPECT_TRUE(test::documented_exit(result.exit_code)) << tail(result.output);
    EXPECT_EQ(result.exit_code, 0) << tail(result.output);
    for (const auto& barcode : hostile) {
        EXPECT_EQ(completed_counts()[barcode], 1) << barcode;
        std::filesystem::path absolute = "/tmp/grin-hostile-" + barcode + ".txt";
        EXPECT_FALSE(std::filesystem::exists(absolute)) << absolute;
        EXPECT_FALSE(std::filesystem::exists("/tmp/escape-" + barcode + ".txt"));
    }
    // No file named like a hostile member anywhere in the test's tree.
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(work.path())) {
        auto name = entry.path().filename().string();
        if (name.rfind("escape-", 0) == 0 || name.rfind("grin-hostile-", 0) == 0 ||
            name == "passwd-link" || name == "shadow-link")
            found.push_back(entry.path().string());
    }
    EXPECT_TRUE(found.empty()) << found.front();
    EXPECT_EQ(outside_the_run(), before) << "something was written outside the run";
    outcome = "sync exit " + std::to_string(result.exit_code) +
              ", both books stored as served, no member written anywhere";
    rerun_and_verify();
}

} // namespace
