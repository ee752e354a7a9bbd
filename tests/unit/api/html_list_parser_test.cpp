#include <grin/api/html_list_parser.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace grin::api;

namespace {

// grin-protocol.md 1.2's reconstructed _all_books page.
const std::string all_books_page = R"(<html><body>
<table class="results">
 <thead><tr class="heading">
  <td></td>
  <td><span class="hd3">Barcode</span></td>
  <td><span class="hd3">Title</span></td>
  <td><span class="hd3">Status</span></td>
  <td><span class="hd3">Scanned</span></td>
  <td><span class="hd3">Analyzed</span></td>
  <td><span class="hd3">Converted</span></td>
  <td><span class="hd3">Downloaded</span></td>
  <td><span class="hd3">Processed</span></td>
  <td><span class="hd3">OCR'd</span></td>
  <td><span class="hd3">Google Books</span></td>
 </tr></thead>
 <tbody>
 <tr>
  <td><input type="checkbox" name="barcodes" value="HX4Q2A"></td>
  <td>HX4Q2A</td><td>Annals of widgetry</td><td>PREVIOUSLY_DOWNLOADED</td>
  <td>2008/03/14</td><td>2024/11/18</td><td></td><td>2019/05/02</td>
  <td>2024/11/18</td><td>2024/11/18</td>
  <td><a href="https://books.google.com/books?id=AbCdEfGhIjkC">View</a></td>
 </tr>
 <tr>
  <td><input type="checkbox" name="barcodes" value="HX4Q2B"></td>
  <td>HX4Q2B</td><td></td><td>NOT_AVAILABLE_FOR_DOWNLOAD</td>
  <td>2008/03/15</td>
 </tr>
 </tbody>
</table>
<a href="_all_books?result_count=10000&amp;first=0">&lt; Previous</a>
<a href="_all_books?result_count=10000&amp;first=10000">Next &gt;</a>
</body></html>)";

std::string value_of(const list_row& row, const std::string& key) {
    auto* v = row.find(key);
    return v ? *v : "<absent>";
}

} // namespace

TEST(html_list_parser, header_keys_are_normalised) {
    EXPECT_EQ(normalise_header_key("Scanned Date"), "scanned_date");
    EXPECT_EQ(normalise_header_key("OCR'd Date"), "ocrd_date");
    EXPECT_EQ(normalise_header_key("Convert Failed Info"), "convert_failed_info");
    EXPECT_EQ(normalise_header_key("Check-In Date"), "check_in_date");
    EXPECT_EQ(normalise_header_key("  Google \n Books "), "google_books");
    EXPECT_EQ(normalise_header_key(""), "");
}

TEST(html_list_parser, reference_all_books_page) {
    auto page = parse_list_page(all_books_page);
    ASSERT_TRUE(page.has_table);
    EXPECT_EQ(page.headers, (std::vector<std::string>{"", "barcode", "title", "status", "scanned",
                                                      "analyzed", "converted", "downloaded",
                                                      "processed", "ocrd", "google_books"}));
    ASSERT_EQ(page.rows.size(), 2u);
    const auto& r = page.rows[0];
    EXPECT_EQ(r.barcode, "HX4Q2A");
    EXPECT_EQ(value_of(r, "title"), "Annals of widgetry");
    EXPECT_EQ(value_of(r, "status"), "PREVIOUSLY_DOWNLOADED");
    EXPECT_EQ(value_of(r, "scanned"), "2008/03/14");
    EXPECT_EQ(value_of(r, "converted"), "<absent>"); // empty cell dropped
    EXPECT_EQ(value_of(r, "ocrd"), "2024/11/18");
    EXPECT_EQ(value_of(r, "google_books"), "https://books.google.com/books?id=AbCdEfGhIjkC");
    EXPECT_EQ(r.values.count(""), 0u);
    // A short row: missing cells are simply absent.
    EXPECT_EQ(page.rows[1].barcode, "HX4Q2B");
    EXPECT_EQ(value_of(page.rows[1], "title"), "<absent>");
    EXPECT_EQ(value_of(page.rows[1], "scanned"), "2008/03/15");
    EXPECT_EQ(page.rows[1].values.size(), 3u);
    ASSERT_TRUE(page.next_href);
    EXPECT_EQ(*page.next_href, "_all_books?result_count=10000&first=10000");
    EXPECT_FALSE(page.unavailable);
}

TEST(html_list_parser, converted_page_filename_column) {
    auto page = parse_list_page(R"(<table><thead><tr class="heading">
      <td><span class="hd3">Filename</span></td><td><span class="hd3">Title</span></td>
      <td><span class="hd3">Google Books</span></td></tr></thead><tbody>
      <tr><td>TZ1XH8.tar.gz.gpg</td><td>Physical Review</td>
          <td><a href="https://books.google.com/books?id=crUWAAAAYAAJ">x</a></td></tr>
      <tr><td>notanarchive.zip</td><td>No barcode here</td></tr>
      </tbody></table>)");
    ASSERT_EQ(page.rows.size(), 1u);
    EXPECT_EQ(page.rows[0].barcode, "TZ1XH8");
    EXPECT_EQ(value_of(page.rows[0], "filename"), "TZ1XH8.tar.gz.gpg");
    EXPECT_EQ(value_of(page.rows[0], "google_books"),
              "https://books.google.com/books?id=crUWAAAAYAAJ");
    EXPECT_EQ(page.rows_without_barcode, 1u);
    EXPECT_FALSE(page.next_href);
}

TEST(html_list_parser, heading_row_inside_tbody_and_implicit_tbody) {
    // No thead, no tbody: the heading row must not become a book called "Barcode".
    auto page = parse_list_page(R"(<table>
      <tr class="heading"><td><span class="hd3">Barcode</span></td><td><span class="hd3">Title</span></td></tr>
      <tr><td>YL11TN</td><td>One</td></tr>
      <tr><td>YL11TP</td><td>Two</td></tr></table>)");
    ASSERT_EQ(page.rows.size(), 2u);
    EXPECT_EQ(page.rows[0].barcode, "YL11TN");
    EXPECT_EQ(page.rows[1].barcode, "YL11TP");
    EXPECT_EQ(value_of(page.rows[1], "title"), "Two");
    EXPECT_TRUE(page.invalid_barcodes.empty());
}

TEST(html_list_parser, th_header_cells_do_not_shift_columns) {
    auto page = parse_list_page(R"(<TABLE><THEAD><TR CLASS="x heading y">
      <TH></TH><TH><SPAN CLASS="hd3">Barcode</SPAN></TH><TH>Title</TH><th>State</th></TR></THEAD>
      <TBODY><TR><TD><input type=checkbox></TD><TD>RSMD7D</TD><TD>Those Preston Twins</TD>
      <TD>AVAILABLE</TD><TD>extra cell</TD><TD>another</TD></TR></TBODY></TABLE>)");
    EXPECT_EQ(page.headers, (std::vector<std::string>{"", "barcode", "title", "state"}));
    ASSERT_EQ(page.rows.size(), 1u);
    EXPECT_EQ(value_of(page.rows[0], "title"), "Those Preston Twins");
    EXPECT_EQ(value_of(page.rows[0], "state"), "AVAILABLE");
    EXPECT_EQ(page.rows[0].values.size(), 3u);
}

TEST(html_list_parser, entities_nested_markup_and_whitespace) {
    auto page =
        parse_list_page(R"(<table><tr class="heading"><td><span class="hd3">Barcode</span></td>
      <td><span class="hd3"> Title </span></td><td><span class="hd3">Google Books</span></td></tr>
      <tbody><tr><td>
         &#x48;X4Q2A&nbsp;</td><td><b>Caf&eacute;</b>
         of <i>Fish &amp; Chips</i> &lt;2nd&gt; &#8212; &quot;ed.&quot;</td>
         <td><span><a href=" https://books.google.com/books?id=a&amp;b=1 "><img alt=x></a></span></td></tr></tbody></table>)");
    ASSERT_EQ(page.rows.size(), 1u);
    EXPECT_EQ(page.rows[0].barcode, "HX4Q2A");
    EXPECT_EQ(value_of(page.rows[0], "title"),
              "Caf\xC3\xA9 of Fish & Chips <2nd> \xE2\x80\x94 \"ed.\"");
    EXPECT_EQ(value_of(page.rows[0], "google_books"), "https://books.google.com/books?id=a&b=1");
}

TEST(html_list_parser, non_utf8_bytes_and_misleading_meta_charset) {
    std::string html = "<html><head><meta charset=\"iso-8859-1\"></head><body><table>"
                       "<tr class=heading><td><span class=hd3>Barcode</span><td><span "
                       "class=hd3>Title</span><td><span class=hd3>Other</span>"
                       "<tr><td>ABC123<td>Caf\xE9 \xC3\xA9l\xC3\xA8ve<td>a\x01"
                       "b\x80"
                       "c</table></body></html>";
    auto page = parse_list_page(html);
    ASSERT_EQ(page.rows.size(), 1u);
    // The stray Latin-1 byte is read as Latin-1; the valid UTF-8 stays UTF-8.
    EXPECT_EQ(value_of(page.rows[0], "title"), "Caf\xC3\xA9 \xC3\xA9l\xC3\xA8ve");
    EXPECT_EQ(value_of(page.rows[0], "other"), "a\xEF\xBF\xBD"
                                               "b\xEF\xBF\xBD"
                                               "c");
}

TEST(html_list_parser, layout_table_and_nested_tables) {
    auto page = parse_list_page(R"(<table class="layout"><tr><td>
      <table class="results"><tr class="heading"><td><span class="hd3">Barcode</span></td>
        <td><span class="hd3">Title</span></td></tr>
        <tr><td>AAA111</td><td>Outer title<table><tr><td>ZZZ999</td><td>nested row</td></tr></table></td></tr>
      </table></td><td>sidebar</td></tr>
      <tr><td>NOTBOOK</td><td>layout row</td></tr></table>)");
    ASSERT_EQ(page.rows.size(), 1u);
    EXPECT_EQ(page.rows[0].barcode, "AAA111");
    EXPECT_EQ(value_of(page.rows[0], "title"), "Outer title ZZZ999 nested row");
}

TEST(html_list_parser, invalid_barcodes_are_reported_not_returned) {
    auto page =
        parse_list_page(R"(<table><tr class="heading"><td><span class="hd3">Barcode</span></td>
      <td><span class="hd3">Title</span></td></tr>
      <tr><td>../../etc</td><td>a</td></tr><tr><td>OK_123</td><td>b</td></tr>
      <tr><td></td><td>no barcode</td></tr><tr><td>single cell</td></tr></table>)");
    ASSERT_EQ(page.rows.size(), 1u);
    EXPECT_EQ(page.rows[0].barcode, "OK_123");
    EXPECT_EQ(page.invalid_barcodes, std::vector<std::string>{"../../etc"});
    EXPECT_EQ(page.rows_without_barcode, 1u);
}

TEST(html_list_parser, unavailable_page) {
    auto plain = parse_list_page("<html><body><p>Your request is unavailable.</p></body></html>");
    EXPECT_TRUE(plain.unavailable);
    EXPECT_FALSE(plain.has_table);
    EXPECT_TRUE(plain.rows.empty());
    auto split = parse_list_page("<p>Your request\n  is <b>unavailable</b></p>");
    EXPECT_TRUE(split.unavailable);
    EXPECT_FALSE(parse_list_page(all_books_page).unavailable);
}

TEST(html_list_parser, first_table_with_heading_wins_and_header_only_page) {
    auto page = parse_list_page(R"(<table><tr><td>menu</td><td>x</td></tr></table>
      <table><thead><tr class="heading"><td><span class="hd3">Barcode</span></td><td>T</td></tr></thead>
      <tbody></tbody></table>
      <table><tr class="heading"><td><span class="hd3">Barcode</span></td><td>T</td></tr>
      <tr><td>SECOND1</td><td>x</td></tr></table>)");
    EXPECT_TRUE(page.has_table);
    EXPECT_TRUE(page.rows.empty());
}

TEST(html_list_parser, garbage_and_empty_input) {
    for (std::string input :
         {std::string(), std::string("<"), std::string("\0\0\0", 3),
          std::string("<table><tr class=heading><td>"),
          std::string("<tr class=heading><td>Barcode<td>x</tr><tr><td>ABC<td>y")}) {
        auto page = parse_list_page(input);
        EXPECT_LE(page.rows.size(), 1u);
    }
    auto headingless = parse_list_page("<table><tr><td>ABC123</td><td>t</td></tr></table>");
    EXPECT_FALSE(headingless.has_table);
    EXPECT_TRUE(headingless.rows.empty());
}

TEST(html_list_parser, ctoken_next_link_and_gt_entity) {
    auto page = parse_list_page(R"(<a href="_converted?first=0">first page</a>
      <a href="_converted?result_count=5&amp;ctoken=Zz%3D">&gt;&gt;</a>)");
    ASSERT_TRUE(page.next_href);
    EXPECT_EQ(*page.next_href, "_converted?result_count=5&ctoken=Zz%3D");
}
