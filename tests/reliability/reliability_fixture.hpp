#pragma once
// The reliability suite's fixture: sync_fixture (emulator + `grin collect` + `grin sync
// pipeline` children) plus
//   - faults added and cleared at run time through the emulator's control endpoints;
//   - verify_complete(): every book of the catalogue has exactly one sync:completed row,
//     its stored archive is byte-identical to the emulator's plaintext, and PRAGMA
//     integrity_check says ok; returns the number of books that fail this ("books lost");
//   - one result line per case (case, injected, outcome, books lost) appended to the
//     suite's results file when the case ends, marked FAIL when it failed, so that the
//     reliability_summary test prints the table even though ctest runs each case alone.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <sys/file.h>
#include <unistd.h>

#include "reliability_checks.hpp"
#include "sync_fixture.hpp"

namespace grin::test {

class reliability_fixture : public sync_fixture {
public:
    std::string case_name, injected, outcome;
    std::optional<std::size_t> books_lost; // unset: the case never reached its final check
    // Books whose archive the emulator serves with a content defect (the bytes stored are
    // then the defective plaintext).
    std::map<std::string, emulator::archive_defect> served_defects;

    void describe_case(std::string name, std::string fault) {
        case_name = std::move(name);
        injected = std::move(fault);
    }

    // POST /_emulator/faults with a rule ("route=archive_get,status=503,first=3").
    void add_fault(const std::string& rule) {
        auto result =
            run_command("curl -s -X POST --cacert " + emulator.ca_file + " --data-binary '" + rule +
                        "' " + emulator.url + "/_emulator/faults");
        auto answer = nlohmann::json::parse(result.output, nullptr, false);
        ASSERT_TRUE(answer.is_object() && answer.contains("rule")) << rule << ": " << result.output;
    }
    void clear_faults() { control("clear_faults", ""); }

    std::uint64_t faults_injected() {
        return emulator_stats()["faults_injected"].get<std::uint64_t>();
    }

    // The final check of every case: all of the catalogue's (converted) books synced
    // exactly once, byte-identical, and a sound database. Sets books_lost.
    std::size_t verify_complete() {
        EXPECT_EQ(integrity_check(), "ok");
        auto completed = completed_counts();
        emulator::catalogue catalogue(shape.catalogue());
        std::size_t lost = 0;
        for (std::uint64_t i = 0; i < catalogue.size(); ++i) {
            if (!catalogue.is_converted(i))
                continue;
            const std::string barcode = catalogue.barcode_at(i);
            bool once = completed[barcode] == 1;
            auto defect = served_defects.contains(barcode) ? served_defects.at(barcode)
                                                           : emulator::archive_defect::none;
            bool identical = slurp(archive_path(barcode)) == expected_archive(i, 0, defect);
            EXPECT_TRUE(once) << barcode << ": " << completed[barcode] << " sync:completed rows";
            EXPECT_TRUE(identical) << barcode << ": stored archive differs from the plaintext";
            lost += (once && identical) ? 0 : 1;
        }
        books_lost = lost;
        return lost;
    }

    // A rerun of the sync without the fault: exit 0, then verify_complete().
    void rerun_and_verify(std::vector<std::string> extra = {"--queue", "converted"}) {
        clear_faults();
        auto rerun = sync(extra, 120s);
        EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
        verify_complete();
    }

    // Ends a command line for a sync/collect (failure messages).
    static std::string tail(const std::string& text, std::size_t bytes = 3000) {
        return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
    }

    void TearDown() override {
        if (case_name.empty())
            return;
        std::string status = HasFailure() ? "FAIL: " : "";
        if (IsSkipped())
            status = "SKIPPED: ";
        std::string lost = books_lost ? std::to_string(*books_lost) : (IsSkipped() ? "0" : "?");
        std::string line =
            case_name + "\t" + injected + "\t" + status + outcome + "\t" + lost + "\n";
        std::cout << "[reliability] " << case_name << " | " << injected << " | " << status
                  << outcome << " | books lost " << lost << std::endl;
        // O_APPEND + one write per line: cases running in parallel never interleave.
        int fd = ::open(GRIN_RELIABILITY_RESULTS, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::flock(fd, LOCK_EX);
            [[maybe_unused]] auto written = ::write(fd, line.data(), line.size());
            ::flock(fd, LOCK_UN);
            ::close(fd);
        }
    }
};

// Exit codes grin documents: anything else (a signal, a sanitizer abort) is a crash.
inline bool documented_exit(int code) {
    return code == 0 || code == 1 || code == 2 || code == 130;
}

} // namespace grin::test
