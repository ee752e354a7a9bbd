// Prints the reliability suite's table from the results file every case appended a line
// to (case, injected, outcome, books lost; tab-separated), also into a file beside it,
// and fails when a case is marked FAIL, lost a book, or no case ran at all.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> fields;
    std::stringstream in(line);
    std::string field;
    while (std::getline(in, field, '\t'))
        fields.push_back(field);
    return fields;
}

} // namespace

int main() {
    std::ifstream in(GRIN_RELIABILITY_RESULTS);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            rows.push_back(split_tabs(line));
    std::vector<std::size_t> widths = {4, 8, 7, 10};
    const std::vector<std::string> header = {"case", "injected", "outcome", "books lost"};
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    std::ostringstream table;
    auto print = [&](const std::vector<std::string>& row) {
        std::string out;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            std::string cell = i < row.size() ? row[i] : "";
            out += (i ? " | " : "") + cell;
            if (i + 1 < widths.size())
                out += std::string(widths[i] - cell.size(), ' ');
        }
        table << out << "\n";
    };
    print(header);
    print({std::string(widths[0], '-'), std::string(widths[1], '-'), std::string(widths[2], '-'),
           std::string(widths[3], '-')});
    int bad = 0;
    for (const auto& row : rows) {
        print(row);
        bool failed = row.size() < 4 || row[2].rfind("FAIL", 0) == 0 || row[3] != "0";
        bad += failed ? 1 : 0;
    }
    table << rows.size() << " cases, " << bad << " failed or lost books"
          << (rows.empty() ? " (no case recorded a result)" : "")
          << "; a case that died before its end records no row (ctest reports it)\n";
    std::cout << table.str() << std::flush;
    // Beside the results, for scripts/test.sh to print after ctest (which shows a passing
    // test's output only with -V).
    std::ofstream(GRIN_RELIABILITY_TABLE) << table.str();
    if (rows.empty())
        return 1;
    return bad == 0 ? 0 : 1;
}
