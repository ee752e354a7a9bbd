#include <grin/archive/marc_extractor.hpp>
#include <grin/emulator/archive_builder.hpp>

#include <gtest/gtest.h>

#include <map>

#include "archive_test_util.hpp"

namespace grin::archive {
namespace {

using values = std::map<std::string, std::optional<std::string>>;

values as_map(const marc_result& r) {
    values out;
    for (const auto& f : r.fields) {
        out[f.column] = f.value;
    }
    return out;
}

std::string mets(const std::string& record_body,
                 const std::string& record_ns = "http://www.loc.gov/MARC21/slim") {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<m:mets xmlns:m=\"http://www.loc.gov/METS/\"><m:dmdSec ID=\"D\"><m:mdWrap>"
           "<m:xmlData><r:record xmlns:r=\"" +
           record_ns + "\">" + record_body +
           "</r:record></m:xmlData></m:mdWrap></m:dmdSec></m:mets>";
}

std::string datafield(const std::string& tag, const std::string& subfields) {
    return "<r:datafield tag=\"" + tag + "\" ind1=\" \" ind2=\" \">" + subfields + "</r:datafield>";
}

std::string sub(char code, const std::string& text) {
    return std::string("<r:subfield code=\"") + code + "\">" + text + "</r:subfield>";
}

TEST(marc_extractor, columns_are_the_books_marc_columns) {
    auto& c = marc_columns();
    ASSERT_EQ(c.size(), 17u);
    EXPECT_EQ(c.front(), "marc_control_number");
    EXPECT_EQ(c.back(), "marc_general_note");
}

// Expected values from the catalogue's book fields and the builder's documented layout
// (grin-protocol.md 3.5), not from parsing.
TEST(marc_extractor, emulator_mets_gives_the_books_fields) {
    for (std::uint64_t seed : {1, 2, 3}) {
        auto b = test::book_with_pages(3, seed);
        auto r = extract_marc(emulator::mets_xml(b));
        ASSERT_TRUE(r.found) << r.problem;
        auto v = as_map(r);
        std::string year = std::to_string(b.publication_year);
        year.insert(0, year.size() < 4 ? 4 - year.size() : 0, '0');
        EXPECT_EQ(v["marc_control_number"], b.marc_control_number);
        EXPECT_EQ(v["marc_date_type"], "s");
        EXPECT_EQ(v["marc_date_1"], year == "9999" ? std::nullopt : std::optional(year));
        EXPECT_EQ(v["marc_date_2"], std::nullopt);
        EXPECT_EQ(v["marc_language"], b.language);
        EXPECT_EQ(v["marc_lccn"], b.lccn);
        EXPECT_EQ(v["marc_lc_call_number"], "QC" + std::to_string(b.index % 900 + 1));
        EXPECT_EQ(v["marc_isbn"], "978" + b.lccn.substr(0, 7) + "X");
        EXPECT_EQ(v["marc_oclc_numbers"], "(OCoLC)" + b.oclc_number);
        EXPECT_EQ(v["marc_title"], b.title + ".");
        EXPECT_EQ(v["marc_title_remainder"], "a digitized volume /");
        EXPECT_EQ(v["marc_author_personal"],
                  "Doe, Jane, " + std::to_string(b.publication_year - 40) + "-");
        EXPECT_EQ(v["marc_author_corporate"], std::nullopt);
        EXPECT_EQ(v["marc_author_meeting"], std::nullopt);
        EXPECT_EQ(v["marc_subjects"], "Widgets, Physics");
        EXPECT_EQ(v["marc_genres"], "Periodical");
        EXPECT_EQ(v["marc_general_note"], "Emulated record for " + b.barcode + ".");
        EXPECT_EQ(r.field_count(), 14u);
    }
}

TEST(marc_extractor, protocol_example_fragment) {
    std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<METS:mets xmlns:METS="http://www.loc.gov/METS/">
 <METS:dmdSec ID="DMD1"><METS:mdWrap MDTYPE="MARC"><METS:xmlData>
  <record xmlns="http://www.loc.gov/MARC21/slim">
   <leader>01234cas a2200301 a 4500</leader>
   <controlfield tag="001">990001234560203941</controlfield>
   <controlfield tag="008">750727c19139999nyumr p       0   a0eng d</controlfield>
   <datafield tag="010" ind1=" " ind2=" "><subfield code="a">   12037719 </subfield></datafield>
   <datafield tag="035" ind1=" " ind2=" "><subfield code="a">(OCoLC)1715212</subfield></datafield>
   <datafield tag="245" ind1="0" ind2="4"><subfield code="a">Annals of widgetry.</subfield></datafield>
   <datafield tag="650" ind1=" " ind2="0"><subfield code="a">Widgets.</subfield></datafield>
  </record>
 </METS:xmlData></METS:mdWrap></METS:dmdSec>
</METS:mets>)";
    auto r = extract_marc(xml);
    ASSERT_TRUE(r.found);
    auto v = as_map(r);
    EXPECT_EQ(v["marc_control_number"], "990001234560203941");
    EXPECT_EQ(v["marc_date_type"], "c");
    EXPECT_EQ(v["marc_date_1"], "1913");
    EXPECT_EQ(v["marc_date_2"], std::nullopt); // 9999
    EXPECT_EQ(v["marc_language"], "eng");
    EXPECT_EQ(v["marc_lccn"], "12037719");
    EXPECT_EQ(v["marc_oclc_numbers"], "(OCoLC)1715212");
    EXPECT_EQ(v["marc_title"], "Annals of widgetry.");
    EXPECT_EQ(v["marc_subjects"], "Widgets");
    EXPECT_EQ(r.field_count(), 8u); // date_2 (9999) is absent
}

TEST(marc_extractor, repeated_fields_filters_and_short_008) {
    auto body = std::string("<r:controlfield tag=\"008\">too short</r:controlfield>") +
                datafield("035", sub('a', "(OCoLC)1") + sub('a', "(HOLLIS)2")) +
                datafield("035", sub('a', " (OCoLC)ocm3 ")) +
                datafield("650", sub('a', "Physics..") + sub('x', "History.")) +
                datafield("650", sub('a', "Natuurkunde.")) + datafield("020", sub('a', "A")) +
                datafield("020", sub('a', "B")) + datafield("110", sub('a', "ACME Corp.")) +
                datafield("111", sub('a', "Congress")) + datafield("245", sub('b', "rest"));
    auto v = as_map(extract_marc(mets(body)));
    EXPECT_EQ(v["marc_date_type"], std::nullopt);
    EXPECT_EQ(v["marc_date_1"], std::nullopt);
    EXPECT_EQ(v["marc_language"], std::nullopt);
    EXPECT_EQ(v["marc_oclc_numbers"], "(OCoLC)1, (OCoLC)ocm3");
    EXPECT_EQ(v["marc_subjects"], "Physics, Natuurkunde");
    EXPECT_EQ(v["marc_isbn"], "A, B");
    EXPECT_EQ(v["marc_author_corporate"], "ACME Corp.");
    EXPECT_EQ(v["marc_author_meeting"], "Congress");
    EXPECT_EQ(v["marc_title"], std::nullopt);
    EXPECT_EQ(v["marc_title_remainder"], "rest");
}

TEST(marc_extractor, dates_keep_1999_but_not_9999_or_letters) {
    auto f008 = [](const std::string& d1, const std::string& d2) {
        std::string f = "750727m" + d1 + d2 + "xx ";
        f.resize(35, ' ');
        return "<r:controlfield tag=\"008\">" + f + "    d</r:controlfield>";
    };
    auto v = as_map(extract_marc(mets(f008("1999", "9999"))));
    EXPECT_EQ(v["marc_date_1"], "1999");
    EXPECT_EQ(v["marc_date_2"], std::nullopt);
    EXPECT_EQ(v["marc_date_type"], "m");
    EXPECT_EQ(v["marc_language"], std::nullopt); // three spaces
    v = as_map(extract_marc(mets(f008("19uu", "1850"))));
    EXPECT_EQ(v["marc_date_1"], std::nullopt);
    EXPECT_EQ(v["marc_date_2"], "1850");
}

TEST(marc_extractor, namespaces_matter_and_prefixes_do_not) {
    auto body = datafield("245", sub('a', "T"));
    EXPECT_TRUE(extract_marc(mets(body)).found);
    auto wrong = extract_marc(mets(body, "http://example.com/other"));
    EXPECT_FALSE(wrong.found);
    EXPECT_NE(wrong.problem.find("no MARC record"), std::string::npos);
    ASSERT_EQ(wrong.fields.size(), 17u);
    EXPECT_EQ(wrong.field_count(), 0u);
    // mdWrap must be a direct child of dmdSec.
    std::string nested =
        "<mets xmlns=\"http://www.loc.gov/METS/\"><dmdSec><x><mdWrap><xmlData>"
        "<record xmlns=\"http://www.loc.gov/MARC21/slim\"/></xmlData></mdWrap></x></dmdSec></mets>";
    EXPECT_FALSE(extract_marc(nested).found);
    // Deeper dmdSec and other prefixes are fine.
    std::string deep =
        "<a:mets xmlns:a=\"http://www.loc.gov/METS/\"><a:x><a:dmdSec><a:mdWrap><a:xmlData>"
        "<s:record xmlns:s=\"http://www.loc.gov/MARC21/slim\"><s:controlfield tag=\"001\"> 42 "
        "</s:controlfield></s:record></a:xmlData></a:mdWrap></a:dmdSec></a:x></a:mets>";
    auto r = extract_marc(deep);
    ASSERT_TRUE(r.found);
    EXPECT_EQ(as_map(r)["marc_control_number"], "42");
}

TEST(marc_extractor, broken_documents_are_outcomes) {
    auto b = test::book_with_pages(3);
    auto full = emulator::mets_xml(b);
    auto r = extract_marc(full.substr(0, full.size() / 2));
    EXPECT_FALSE(r.found);
    EXPECT_NE(r.problem.find("not well-formed"), std::string::npos);
    EXPECT_FALSE(extract_marc("").found);
    EXPECT_FALSE(extract_marc("<notes>not the METS</notes>").found);
    EXPECT_FALSE(extract_marc(std::string(100000, '<')).found);
}

} // namespace
} // namespace grin::archive
