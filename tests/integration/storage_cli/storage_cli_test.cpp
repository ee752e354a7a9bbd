// `grin storage ls|rm|cp` end to end on LOCAL storage: the built grin binary on runs made
// by the real emulator + `grin collect` + `grin sync pipeline` (sync_fixture). Expected
// objects come from the file system and the run's database, never from grin's listing.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>

#include "sync_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

// Files under `dir` (recursively; dot-names, which are temporaries and metadata sidecars,
// skipped), relative, with their sizes.
std::map<std::string, std::uintmax_t> files_under(const std::filesystem::path& dir) {
    std::map<std::string, std::uintmax_t> files;
    std::error_code ignored;
    if (!std::filesystem::is_directory(dir, ignored))
        return files;
    for (auto it = std::filesystem::recursive_directory_iterator(dir);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
        if (it->path().filename().string().starts_with(".")) {
            if (it->is_directory())
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file())
            files[it->path().lexically_relative(dir).generic_string()] = it->file_size();
    }
    return files;
}

// The object lines of `grin storage ls` for one role: "  <key>" or, with -l,
// "  <size>  <time>  <key>". Returns key -> size (0 without -l).
std::map<std::string, std::uintmax_t> listed(const std::string& output, const std::string& role) {
    std::map<std::string, std::uintmax_t> objects;
    std::istringstream in(output);
    std::string line;
    bool inside = false;
    static const std::regex long_line(R"(^  +([0-9]+)  ([0-9T:Z-]+)  (\S+)$)");
    while (std::getline(in, line)) {
        if (line.rfind(role + ": ", 0) == 0) {
            inside = true;
            continue;
        }
        if (!inside)
            continue;
        if (line.rfind("  Total: ", 0) == 0)
            break;
        std::smatch match;
        if (std::regex_match(line, match, long_line))
            objects[match[3]] = std::stoull(match[1]);
        else if (line.rfind("  ", 0) == 0)
            objects[line.substr(2)] = 0;
    }
    return objects;
}

// 36048 -> "36,048", as grin prints totals.
std::string grouped(std::uintmax_t value) {
    std::string digits = std::to_string(value), text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            text += ',';
        text += digits[i];
    }
    return text;
}

std::set<std::string> keys_of(const std::map<std::string, std::uintmax_t>& objects) {
    std::set<std::string> keys;
    for (const auto& [key, size] : objects)
        keys.insert(key);
    return keys;
}

class storage_cli : public test::sync_fixture {
public:
    // Run `name`: collect, then sync every converted book (or `sync_args`).
    void make_run(const std::string& name,
                  std::vector<std::string> sync_args = {"--queue", "converted"}) {
        run_name = name;
        collect();
        auto synced = sync(std::move(sync_args));
        ASSERT_EQ(synced.exit_code, 0) << synced.output;
    }

    void start_small_library() {
        shape.books = 8;
        shape.archive_size = 4 * 1024;
        start_emulator();
    }

    test::run_result storage(std::vector<std::string> args, const std::string& run) {
        args.insert(args.begin(), "storage");
        args.insert(args.end(), {"--run-name", run, "--output-root", output_root().string()});
        return grin(args, 120s);
    }

    // With standard input from /dev/null (never a terminal, whatever runs the tests).
    test::run_result storage_no_terminal(const std::string& args, const std::string& run) {
        auto result =
            test::run_command(built_binary_path() + " storage " + args + " --run-name " + run +
                                  " --output-root '" + output_root().string() + "' </dev/null 2>&1",
                              120s);
        return {result.exit_code, result.output};
    }

    static std::string built_binary_path() { return test::built_binary("grin").string(); }

    // Barcodes of run `run`'s books with a sync:completed row.
    std::set<std::string> synced_books(const std::string& run) {
        SQLite::Database db((output_root() / run / "books.db").string(), SQLite::OPEN_READONLY);
        SQLite::Statement query(db, "SELECT DISTINCT barcode FROM book_status_history WHERE "
                                    "status_type = 'sync' AND status_value = 'completed'");
        std::set<std::string> barcodes;
        while (query.executeStep())
            barcodes.insert(query.getColumn(0).getString());
        return barcodes;
    }

    std::set<std::string> archive_keys(const std::set<std::string>& barcodes) {
        std::set<std::string> keys;
        for (const auto& barcode : barcodes)
            keys.insert(barcode + "/" + barcode + ".tar.gz");
        return keys;
    }

    // The plaintext archive the emulator encrypted for `barcode`.
    std::string expected_archive_of(const std::string& barcode) {
        emulator::catalogue catalogue(shape.catalogue());
        for (std::uint64_t i = 0; i < shape.books; ++i)
            if (catalogue.at(i).barcode == barcode)
                return expected_archive(i);
        ADD_FAILURE() << "no book " << barcode << " in the catalogue";
        return {};
    }

    std::vector<test::file_state> settled_storage() {
        std::this_thread::sleep_for(30ms);
        return test::directory_state(storage_root());
    }
};

TEST_F(storage_cli, ls_lists_exactly_the_runs_objects_with_sizes) {
    start_small_library();
    make_run("r1");
    const auto books = synced_books("r1");
    ASSERT_EQ(books.size(), shape.books);

    auto ls = storage({"ls", "-l"}, "r1");
    ASSERT_EQ(ls.exit_code, 0) << ls.output;
    // raw/ is shared by runs: the run's archives are raw/<B>/<B>.tar.gz of its books.
    auto raw = listed(ls.output, "raw");
    EXPECT_EQ(keys_of(raw), archive_keys(books)) << ls.output;
    auto raw_files = files_under(storage_root() / "raw");
    for (const auto& [key, size] : raw) {
        ASSERT_TRUE(raw_files.contains(key)) << key;
        EXPECT_EQ(size, raw_files[key]) << key;
        EXPECT_GT(size, 0u) << key;
    }
    // meta/ and full/: exactly the files under <role>/r1/, same sizes.
    for (const std::string role : {"meta", "full"}) {
        std::map<std::string, std::uintmax_t> expected;
        for (const auto& [name, size] : files_under(storage_root() / role / "r1"))
            expected["r1/" + name] = size;
        EXPECT_EQ(listed(ls.output, role), expected) << role << "\n" << ls.output;
    }
    EXPECT_EQ(listed(ls.output, "full").size(), shape.books) << ls.output;
    std::uintmax_t raw_bytes = 0;
    for (const auto& [key, size] : raw)
        raw_bytes += size;
    EXPECT_NE(ls.output.find("  Total: " + std::to_string(shape.books) + " objects, " +
                             grouped(raw_bytes) + " bytes"),
              std::string::npos)
        << ls.output;

    // One role, short format; --all lists the whole directory (here the same archives).
    auto full = storage({"ls", "--bucket", "full"}, "r1");
    ASSERT_EQ(full.exit_code, 0) << full.output;
    EXPECT_EQ(keys_of(listed(full.output, "full")), keys_of(listed(ls.output, "full")));
    EXPECT_EQ(full.output.find("raw: "), std::string::npos) << full.output;
    auto all = storage({"ls", "--bucket", "raw", "--all"}, "r1");
    ASSERT_EQ(all.exit_code, 0) << all.output;
    EXPECT_EQ(keys_of(listed(all.output, "raw")), archive_keys(books)) << all.output;
}

TEST_F(storage_cli, rm_dry_run_and_refusals_delete_nothing) {
    start_small_library();
    make_run("r1");
    const auto before = settled_storage();

    auto dry = storage({"rm", "full", "--dry-run"}, "r1");
    ASSERT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_NE(dry.output.find("DRY RUN: would delete " + std::to_string(shape.books) + " objects"),
              std::string::npos)
        << dry.output;
    for (const auto& barcode : synced_books("r1"))
        EXPECT_NE(dry.output.find("  delete  r1/" + barcode + "_ocr.jsonl.gz"), std::string::npos)
            << dry.output;
    auto dry_raw = storage({"rm", "raw", "--dry-run"}, "r1");
    ASSERT_EQ(dry_raw.exit_code, 0) << dry_raw.output;
    EXPECT_EQ(settled_storage(), before) << "a dry run changed the storage";

    // No --yes and no terminal: refused, with the way out in the message.
    auto refused = storage_no_terminal("rm full", "r1");
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("--yes"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("not a terminal"), std::string::npos) << refused.output;
    // --all-runs: --yes is not enough, and a wrong bucket name is refused.
    auto all_yes = storage_no_terminal("rm full --all-runs --yes", "r1");
    EXPECT_EQ(all_yes.exit_code, 2) << all_yes.output;
    EXPECT_NE(all_yes.output.find("--confirm-bucket"), std::string::npos) << all_yes.output;
    auto wrong = storage({"rm", "full", "--all-runs", "--yes", "--confirm-bucket", "full"}, "r1");
    EXPECT_EQ(wrong.exit_code, 2) << wrong.output;
    EXPECT_NE(wrong.output.find("does not match"), std::string::npos) << wrong.output;
    EXPECT_EQ(settled_storage(), before) << "a refused rm changed the storage";
}

TEST_F(storage_cli, rm_yes_deletes_only_this_runs_objects) {
    start_small_library();
    // r2 shares the storage directory and three of r1's books (their archives in raw/
    // are the same files); both runs list all eight books.
    emulator::catalogue catalogue(shape.catalogue());
    const std::string three =
        catalogue.at(1).barcode + "," + catalogue.at(4).barcode + "," + catalogue.at(6).barcode;
    make_run("r2", {"--barcodes", three});
    make_run("r1");
    const auto r1_books = synced_books("r1");
    const auto r2_books = synced_books("r2");
    ASSERT_EQ(r2_books.size(), 3u);
    ASSERT_EQ(r1_books.size(), shape.books);
    std::map<std::string, std::string> r2_archives;
    for (const auto& barcode : r2_books)
        r2_archives[barcode] = sync_fixture::slurp(archive_path(barcode));
    const auto r2_meta = files_under(storage_root() / "meta" / "r2");
    const auto r2_full = files_under(storage_root() / "full" / "r2");
    ASSERT_EQ(r2_full.size(), 3u);
    ASSERT_FALSE(r2_meta.empty());

    for (const std::string role : {"raw", "meta", "full"}) {
        auto removed = storage({"rm", role, "--yes"}, "r1");
        ASSERT_EQ(removed.exit_code, 0) << removed.output;
        if (role == "raw")
            EXPECT_NE(removed.output.find("Kept 3 archives"), std::string::npos) << removed.output;
    }
    // r1's own objects are gone.
    EXPECT_TRUE(files_under(storage_root() / "full" / "r1").empty());
    EXPECT_TRUE(files_under(storage_root() / "meta" / "r1").empty());
    for (const auto& barcode : r1_books)
        EXPECT_EQ(std::filesystem::exists(archive_path(barcode)), r2_books.contains(barcode))
            << barcode;
    // r2's objects are all there, byte for byte.
    EXPECT_EQ(files_under(storage_root() / "meta" / "r2"), r2_meta);
    EXPECT_EQ(files_under(storage_root() / "full" / "r2"), r2_full);
    for (const auto& barcode : r2_books) {
        ASSERT_TRUE(std::filesystem::exists(archive_path(barcode))) << barcode;
        EXPECT_EQ(sync_fixture::slurp(archive_path(barcode)), r2_archives[barcode]) << barcode;
    }
    // r2 still sees everything it stored; r1 sees only the shared archives.
    auto r2_ls = storage({"ls"}, "r2");
    ASSERT_EQ(r2_ls.exit_code, 0) << r2_ls.output;
    EXPECT_EQ(keys_of(listed(r2_ls.output, "raw")), archive_keys(r2_books));
    EXPECT_EQ(listed(r2_ls.output, "full").size(), 3u);
    auto r1_ls = storage({"ls"}, "r1");
    ASSERT_EQ(r1_ls.exit_code, 0) << r1_ls.output;
    EXPECT_EQ(keys_of(listed(r1_ls.output, "raw")), archive_keys(r2_books)) << r1_ls.output;
    EXPECT_TRUE(listed(r1_ls.output, "full").empty()) << r1_ls.output;
    EXPECT_TRUE(listed(r1_ls.output, "meta").empty()) << r1_ls.output;

    // --all-runs with the directory named deletes every run's objects of that role.
    auto everything = storage(
        {"rm", "full", "--all-runs", "--confirm-bucket", (storage_root() / "full").string()}, "r1");
    ASSERT_EQ(everything.exit_code, 0) << everything.output;
    EXPECT_TRUE(files_under(storage_root() / "full").empty());
    EXPECT_EQ(files_under(storage_root() / "meta" / "r2"), r2_meta);
}

TEST_F(storage_cli, rm_asks_on_a_terminal) {
    if (!test::have_program("script"))
        GTEST_SKIP() << "script(1) (util-linux) is needed to give grin a terminal";
    start_small_library();
    make_run("r1");
    const auto before = settled_storage();
    // script(1) runs grin on a pseudo-terminal and feeds it our standard input.
    auto on_terminal = [&](const std::string& answer, const std::string& args = "full") {
        std::string command = built_binary_path() + " storage rm " + args + " --run-name r1 " +
                              "--output-root '" + output_root().string() + "'";
        return test::run_command(
            "printf '" + answer + "\\n' | script -qec \"" + command + "\" /dev/null", 120s);
    };
    auto declined = on_terminal("no");
    EXPECT_NE(declined.output.find("Type 'yes' to confirm"), std::string::npos) << declined.output;
    EXPECT_NE(declined.output.find("Not confirmed; nothing was deleted"), std::string::npos)
        << declined.output;
    EXPECT_EQ(settled_storage(), before);

    auto confirmed = on_terminal("yes");
    EXPECT_EQ(confirmed.exit_code, 0) << confirmed.output;
    EXPECT_NE(confirmed.output.find("Deleted " + std::to_string(shape.books) + " objects"),
              std::string::npos)
        << confirmed.output;
    EXPECT_TRUE(files_under(storage_root() / "full" / "r1").empty());

    // --all-runs wants the bucket's name (here the directory), even after --yes.
    const auto meta_dir = (storage_root() / "meta").string();
    const auto meta_files = files_under(meta_dir);
    ASSERT_FALSE(meta_files.empty());
    auto only_yes = on_terminal("yes", "meta --all-runs --yes");
    EXPECT_NE(only_yes.output.find("Type the bucket name (" + meta_dir + ") to confirm"),
              std::string::npos)
        << only_yes.output;
    EXPECT_NE(only_yes.output.find("Not confirmed"), std::string::npos) << only_yes.output;
    EXPECT_EQ(files_under(meta_dir), meta_files);
    auto named = on_terminal(meta_dir, "meta --all-runs");
    EXPECT_EQ(named.exit_code, 0) << named.output;
    EXPECT_TRUE(files_under(meta_dir).empty()) << named.output;
}

TEST_F(storage_cli, cp_fetches_a_byte_identical_file) {
    start_small_library();
    make_run("r1");
    const std::string barcode = *synced_books("r1").begin();
    const auto into = work / "fetched";

    // raw by "<B>.tar.gz" (wherever the layout keeps it) and by its full key.
    auto by_name = storage({"cp", "raw", barcode + ".tar.gz", into.string()}, "r1");
    ASSERT_EQ(by_name.exit_code, 0) << by_name.output;
    const auto fetched = into / (barcode + ".tar.gz");
    EXPECT_NE(by_name.output.find(fetched.string()), std::string::npos) << by_name.output;
    EXPECT_EQ(sync_fixture::slurp(fetched), sync_fixture::slurp(archive_path(barcode)));
    EXPECT_EQ(sync_fixture::slurp(fetched), expected_archive_of(barcode));

    // An existing target needs --force.
    auto again = storage({"cp", "raw", barcode + "/" + barcode + ".tar.gz", into.string()}, "r1");
    EXPECT_EQ(again.exit_code, 2) << again.output;
    EXPECT_NE(again.output.find("--force"), std::string::npos) << again.output;
    auto forced =
        storage({"cp", "raw", barcode + "/" + barcode + ".tar.gz", into.string(), "--force"}, "r1");
    EXPECT_EQ(forced.exit_code, 0) << forced.output;

    // full: relative to the run's prefix, and as a full key.
    auto ocr = storage({"cp", "full", barcode + "_ocr.jsonl.gz", into.string()}, "r1");
    ASSERT_EQ(ocr.exit_code, 0) << ocr.output;
    EXPECT_EQ(sync_fixture::slurp(into / (barcode + "_ocr.jsonl.gz")),
              sync_fixture::slurp(ocr_path(barcode)));
    auto meta_files = files_under(storage_root() / "meta" / "r1");
    ASSERT_FALSE(meta_files.empty());
    const std::string meta_key = "r1/" + meta_files.begin()->first;
    auto meta = storage({"cp", "meta", meta_key, (work / "meta-copy").string()}, "r1");
    ASSERT_EQ(meta.exit_code, 0) << meta.output;
    EXPECT_EQ(sync_fixture::slurp(work / "meta-copy" / std::filesystem::path(meta_key).filename()),
              sync_fixture::slurp(storage_root() / "meta" / meta_key));

    // A missing object, an unsafe key.
    auto missing = storage({"cp", "raw", "NOPE123.tar.gz", into.string()}, "r1");
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_NE(missing.output.find("no object 'NOPE123.tar.gz'"), std::string::npos)
        << missing.output;
    auto unsafe = storage({"cp", "meta", "../r2/run_config.json", into.string()}, "r1");
    EXPECT_EQ(unsafe.exit_code, 2) << unsafe.output;
}

TEST_F(storage_cli, missing_run_and_bad_bucket_are_usage_errors) {
    std::filesystem::create_directories(output_root());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"ls"}, {"rm", "raw", "--yes"}, {"cp", "raw", "B.tar.gz", "/tmp"}}) {
        auto result = storage(args, "no_such_run");
        EXPECT_EQ(result.exit_code, 2) << result.output;
        EXPECT_NE(result.output.find("no run 'no_such_run'"), std::string::npos) << result.output;
    }
    for (const auto& args : std::vector<std::vector<std::string>>{{"ls", "--bucket", "archive"},
                                                                  {"rm", "archive", "--yes"},
                                                                  {"cp", "archive", "k", "d"}}) {
        auto result = storage(args, "no_such_run");
        EXPECT_EQ(result.exit_code, 2) << result.output;
        EXPECT_NE(result.output.find("unknown bucket 'archive'"), std::string::npos)
            << result.output;
    }
}

} // namespace
