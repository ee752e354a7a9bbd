// The S3 XML bodies, with responses shaped like the examples of the Amazon S3 API
// reference (ListObjectsV2, CreateMultipartUpload, CompleteMultipartUpload,
// DeleteObjects, Error responses), plus keys with XML specials and unicode, and broken
// input.
#include <grin/core/error.hpp>
#include <grin/storage/s3_xml.hpp>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {
using namespace grin::storage::s3;
using namespace std::chrono;

constexpr const char* list_page_1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <KeyCount>3</KeyCount>
  <MaxKeys>3</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>ExampleObject.txt</Key>
    <LastModified>2013-09-17T18:07:53.000Z</LastModified>
    <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag>
    <Size>857</Size>
    <StorageClass>REDUCED_REDUNDANCY</StorageClass>
  </Contents>
  <Contents>
    <Key>a &amp; b &lt;c&gt; "d" 'e'.txt</Key>
    <LastModified>2009-10-12T17:50:30.123Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>dir/ü ñ/日本.txt</Key>
    <LastModified>2025-09-01T10:15:00Z</LastModified>
    <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
    <Size>18446744073709551615</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>)";

TEST(s3_xml_list, parses_a_truncated_page) {
    auto page = parse_list_objects_v2(list_page_1);
    EXPECT_TRUE(page.is_truncated);
    ASSERT_TRUE(page.next_continuation_token);
    EXPECT_EQ(*page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    ASSERT_TRUE(page.key_count);
    EXPECT_EQ(*page.key_count, 3u);
    EXPECT_EQ(page.prefix, "");
    ASSERT_EQ(page.contents.size(), 3u);

    EXPECT_EQ(page.contents[0].key, "ExampleObject.txt");
    EXPECT_EQ(page.contents[0].size, 857u);
    EXPECT_EQ(page.contents[0].last_modified, sys_days{2013y / September / 17} + 18h + 7min + 53s);
    EXPECT_EQ(page.contents[0].etag, "\"599bab3ed2c697f1d26842727561fd94\"");
    EXPECT_EQ(page.contents[0].storage_class, "REDUCED_REDUNDANCY");

    EXPECT_EQ(page.contents[1].key, "a & b <c> \"d\" 'e'.txt");
    EXPECT_EQ(page.contents[1].etag, "\"fba9dede5f27731c9771645a39863328\"");
    EXPECT_EQ(page.contents[1].last_modified,
              sys_days{2009y / October / 12} + 17h + 50min + 30s + 123ms);

    EXPECT_EQ(page.contents[2].key, "dir/\xc3\xbc \xc3\xb1/\xe6\x97\xa5\xe6\x9c\xac.txt");
    EXPECT_EQ(page.contents[2].size, 18446744073709551615u);
}

TEST(s3_xml_list, parses_the_last_page_with_common_prefixes) {
    auto page = parse_list_objects_v2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix>photos/2006/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>photos/2006/index.html</Key>
    <LastModified>2006-01-01T12:00:00.000Z</LastModified>
    <ETag>"ce1acdafcc879d7eee54cf4e97334078"</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes>
    <Prefix>photos/2006/February/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes>
    <Prefix>photos/2006/January/</Prefix>
  </CommonPrefixes>
</ListBucketResult>)");
    EXPECT_FALSE(page.is_truncated);
    EXPECT_FALSE(page.next_continuation_token);
    EXPECT_EQ(page.prefix, "photos/2006/");
    ASSERT_EQ(page.contents.size(), 1u);
    EXPECT_EQ(page.contents[0].size, 0u);
    EXPECT_EQ(page.common_prefixes,
              (std::vector<std::string>{"photos/2006/February/", "photos/2006/January/"}));
}

TEST(s3_xml_list, parses_an_empty_listing) {
    auto page = parse_list_objects_v2(
        R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>run9/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>)");
    EXPECT_TRUE(page.contents.empty());
    EXPECT_EQ(page.key_count, 0u);
    EXPECT_FALSE(page.is_truncated);
}

TEST(s3_xml_list, decodes_keys_of_a_url_encoded_listing) {
    auto page = parse_list_objects_v2(R"(<ListBucketResult>
  <EncodingType>url</EncodingType>
  <Prefix>dir%2F</Prefix>
  <IsTruncated>false</IsTruncated>
  <Contents><Key>dir/a+b%2Bc%26%C3%BC%0A</Key><Size>1</Size>
    <LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>
  <CommonPrefixes><Prefix>dir/sub%20dir/</Prefix></CommonPrefixes>
</ListBucketResult>)");
    EXPECT_EQ(page.prefix, "dir/");
    ASSERT_EQ(page.contents.size(), 1u);
    EXPECT_EQ(page.contents[0].key, "dir/a b+c&\xc3\xbc\n");
    EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"dir/sub dir/"});
    EXPECT_THROW(parse_list_objects_v2("<ListBucketResult><EncodingType>url</EncodingType>"
                                       "<Contents><Key>a%2</Key><Size>1</Size><LastModified>"
                                       "2020-01-01T00:00:00Z</LastModified></Contents>"
                                       "</ListBucketResult>"),
                 grin::error);
}

TEST(s3_xml_list, accepts_prefixed_namespaces_cdata_and_leading_whitespace) {
    auto page = parse_list_objects_v2("\n\n   <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/"
                                      "2006-03-01/\"><s3:IsTruncated>false</s3:IsTruncated>"
                                      "<s3:Contents><s3:Key>a<![CDATA[<&>]]>b</s3:Key>"
                                      "<s3:Size> 12 </s3:Size><s3:LastModified>"
                                      "2020-02-03T04:05:06+02:00</s3:LastModified>"
                                      "<s3:Unknown>x</s3:Unknown></s3:Contents>"
                                      "</s3:ListBucketResult>");
    ASSERT_EQ(page.contents.size(), 1u);
    EXPECT_EQ(page.contents[0].key, "a<&>b");
    EXPECT_EQ(page.contents[0].size, 12u);
    EXPECT_EQ(page.contents[0].last_modified, sys_days{2020y / February / 3} + 2h + 5min + 6s);
    EXPECT_EQ(page.contents[0].etag, "");
}

TEST(s3_xml_list, keeps_keys_of_spaces_and_surrounding_spaces) {
    auto page = parse_list_objects_v2(
        "<ListBucketResult>\n  <Contents>\n    <Key>   </Key>\n    <Size>1</Size>\n"
        "    <LastModified>2020-01-01T00:00:00Z</LastModified>\n  </Contents>\n"
        "  <Contents><Key> a b </Key><Size>2</Size>"
        "<LastModified>2020-01-01T00:00:00Z</LastModified></Contents>\n</ListBucketResult>");
    ASSERT_EQ(page.contents.size(), 2u);
    EXPECT_EQ(page.contents[0].key, "   ");
    EXPECT_EQ(page.contents[1].key, " a b ");
}

void expect_malformed(std::string_view body, std::string_view expected_part) {
    try {
        parse_list_objects_v2(body);
        ADD_FAILURE() << "accepted: " << body;
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "storage");
        std::string what = e.what();
        EXPECT_NE(what.find("ListObjectsV2"), std::string::npos) << what;
        EXPECT_NE(what.find(expected_part), std::string::npos) << what;
        EXPECT_LT(what.size(), 600u) << "the excerpt must stay short";
    }
}

TEST(s3_xml_list, rejects_malformed_bodies_with_a_short_excerpt) {
    expect_malformed("", "not well-formed");
    expect_malformed("<ListBucketResult><Contents>", "not well-formed");
    expect_malformed("<ListBucketResult></ListBucketResul>", "not well-formed");
    expect_malformed("<html><body>502 Bad Gateway</body></html>", "root element is <html>");
    expect_malformed("<ListBucketResult/><ListBucketResult/>", "one root element");
    expect_malformed("<Error><Code>AccessDenied</Code></Error>", "root element is <Error>");
    expect_malformed("<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
                     "IsTruncated");
    expect_malformed("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
                     "NextContinuationToken");
    expect_malformed("<ListBucketResult><KeyCount>-1</KeyCount></ListBucketResult>", "KeyCount");
    expect_malformed("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                     "no Key");
    expect_malformed("<ListBucketResult><Contents><Key>k</Key><Size>1x</Size><LastModified>"
                     "2020-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
                     "Size of 'k'");
    expect_malformed("<ListBucketResult><Contents><Key>k</Key><Size>18446744073709551616</Size>"
                     "<LastModified>2020-01-01T00:00:00Z</LastModified></Contents>"
                     "</ListBucketResult>",
                     "Size");
    expect_malformed("<ListBucketResult><Contents><Key>k</Key><Size>1</Size><LastModified>"
                     "yesterday</LastModified></Contents></ListBucketResult>",
                     "LastModified of 'k'");
    expect_malformed("<ListBucketResult><EncodingType>base64</EncodingType></ListBucketResult>",
                     "EncodingType");
    // A long, binary body: the excerpt is cut and control characters do not get through.
    std::string binary(5000, '\x01');
    binary[0] = '<';
    try {
        parse_list_objects_v2(binary);
        ADD_FAILURE();
    } catch (const grin::error& e) {
        std::string what = e.what();
        EXPECT_EQ(what.find('\x01'), std::string::npos);
        EXPECT_NE(what.find("..."), std::string::npos);
    }
}

TEST(s3_xml, iso8601_forms) {
    EXPECT_EQ(parse_iso8601("2009-10-12T17:50:30.000Z"),
              sys_days{2009y / October / 12} + 17h + 50min + 30s);
    EXPECT_EQ(parse_iso8601("2009-10-12T17:50:30Z"),
              sys_days{2009y / October / 12} + 17h + 50min + 30s);
    EXPECT_EQ(parse_iso8601("2009-10-12T17:50:30.5Z"),
              sys_days{2009y / October / 12} + 17h + 50min + 30s + 500ms);
    EXPECT_EQ(parse_iso8601("2009-10-12T17:50:30.123456789123Z"),
              sys_days{2009y / October / 12} + 17h + 50min + 30s + 123456789ns);
    EXPECT_EQ(parse_iso8601("2009-10-12T19:50:30+02:00"),
              sys_days{2009y / October / 12} + 17h + 50min + 30s);
    EXPECT_EQ(parse_iso8601("2009-10-12T16:20:30-0130"),
              sys_days{2009y / October / 12} + 17h + 50min + 30s);
    EXPECT_EQ(parse_iso8601("2024-02-29T00:00:00Z"), sys_days{2024y / February / 29});
    EXPECT_EQ(parse_iso8601("2200-12-31T23:59:59Z"), sys_days{2200y / December / 31} + 86399s);
    EXPECT_EQ(parse_iso8601("1900-01-01T00:00:00Z"), sys_days{1900y / January / 1});
    for (const char* bad :
         {"", "2009-10-12", "2009-10-12T17:50:30", "2009-10-12 17:50:30Z", "2009-13-12T17:50:30Z",
          "2023-02-29T00:00:00Z", "2009-10-12T24:00:00Z", "2009-10-12T17:60:30Z",
          "2009-10-12T17:50:30.Z", "2009-10-12T17:50:30+2", "2009-10-12T17:50:30Zjunk",
          "20O9-10-12T17:50:30Z", "+009-10-12T17:50:30Z", "9999-12-31T23:59:59Z",
          "1677-01-01T00:00:00Z"})
        EXPECT_FALSE(parse_iso8601(bad)) << bad;
}

TEST(s3_xml_multipart, parses_initiate_result) {
    auto result = parse_initiate_multipart_upload(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)");
    EXPECT_EQ(result.bucket, "example-bucket");
    EXPECT_EQ(result.key, "example-object");
    EXPECT_EQ(result.upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    EXPECT_THROW(
        parse_initiate_multipart_upload("<InitiateMultipartUploadResult><UploadId> </UploadId>"
                                        "</InitiateMultipartUploadResult>"),
        grin::error);
    EXPECT_THROW(parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>"), grin::error);
    EXPECT_THROW(parse_initiate_multipart_upload("<ListBucketResult/>"), grin::error);
}

TEST(s3_xml_multipart, parses_complete_result) {
    auto outcome = parse_complete_multipart_upload(R"(<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)");
    ASSERT_TRUE(std::holds_alternative<complete_multipart_result>(outcome));
    const auto& result = std::get<complete_multipart_result>(outcome);
    EXPECT_EQ(result.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    EXPECT_EQ(result.bucket, "Example-Bucket");
    EXPECT_EQ(result.key, "Example-Object");
    EXPECT_EQ(result.location, "http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object");
}

TEST(s3_xml_multipart, parses_motos_complete_result) {
    // moto 5.2.1's answer, verbatim: another root name than AWS's.
    auto outcome = parse_complete_multipart_upload(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CompleteMultipartUploadResponse "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://bkt.s3.amazonaws."
        "com/big</Location><Bucket>bkt</Bucket><Key>big</Key><ETag>\"0c62823571cff39c8dddcc6a74e"
        "2569f-2\"</ETag></CompleteMultipartUploadResponse>");
    ASSERT_TRUE(std::holds_alternative<complete_multipart_result>(outcome));
    EXPECT_EQ(std::get<complete_multipart_result>(outcome).etag,
              "\"0c62823571cff39c8dddcc6a74e2569f-2\"");
    EXPECT_THROW(parse_complete_multipart_upload("<CompleteMultipartUpload><ETag>\"e\"</ETag>"
                                                 "</CompleteMultipartUpload>"),
                 grin::error);
}

TEST(s3_xml_multipart, detects_an_error_in_a_200_complete_answer) {
    // S3 keeps the connection alive with whitespace while it assembles the parts, then
    // may still fail: status 200, <Error> body.
    auto outcome = parse_complete_multipart_upload(R"(


<?xml version="1.0" encoding="UTF-8"?>

<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>)");
    ASSERT_TRUE(std::holds_alternative<error_body>(outcome));
    const auto& error = std::get<error_body>(outcome);
    EXPECT_EQ(error.code, "InternalError");
    EXPECT_EQ(error.request_id, "656c76696e6727732072657175657374");
    EXPECT_EQ(describe(error), "InternalError: We encountered an internal error. Please try "
                               "again. (request id=656c76696e6727732072657175657374)");

    EXPECT_THROW(parse_complete_multipart_upload(""), grin::error);
    EXPECT_THROW(parse_complete_multipart_upload("   "), grin::error);
    EXPECT_THROW(parse_complete_multipart_upload("<CompleteMultipartUploadResult><ETag/>"
                                                 "</CompleteMultipartUploadResult>"),
                 grin::error);
    EXPECT_THROW(parse_complete_multipart_upload("<CompleteMultipartUploadResult>"), grin::error);
}

TEST(s3_xml_delete, parses_deleted_keys_and_errors) {
    auto result = parse_delete_result(R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted>
    <Key>sample1.txt</Key>
  </Deleted>
  <Deleted><Key>a&amp;b&lt;c&gt;/ü</Key><VersionId>v1</VersionId></Deleted>
  <Deleted><Key>  </Key></Deleted>
  <Error>
    <Key>sample2.txt</Key>
    <Code>AccessDenied</Code>
    <Message>Access Denied</Message>
  </Error>
</DeleteResult>)");
    EXPECT_EQ(result.deleted, (std::vector<std::string>{"sample1.txt", "a&b<c>/\xc3\xbc", "  "}));
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].key, "sample2.txt");
    EXPECT_EQ(result.errors[0].code, "AccessDenied");
    EXPECT_EQ(result.errors[0].message, "Access Denied");

    auto quiet = parse_delete_result(
        R"(<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>)");
    EXPECT_TRUE(quiet.deleted.empty());
    EXPECT_TRUE(quiet.errors.empty());
    EXPECT_THROW(parse_delete_result("<DeleteResult><Deleted/></DeleteResult>"), grin::error);
    EXPECT_THROW(parse_delete_result("<DeleteResult><Error><Code>X</Code></Error></DeleteResult>"),
                 grin::error);
    EXPECT_THROW(parse_delete_result("<Delete/>"), grin::error);
}

TEST(s3_xml_error, parses_error_documents) {
    auto error = parse_error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, "NoSuchKey");
    EXPECT_EQ(error->resource, "/mybucket/myfoto.jpg");
    EXPECT_EQ(describe(*error), "NoSuchKey: The resource you requested does not exist "
                                "(resource=/mybucket/myfoto.jpg, request id=4442587FB7D0A2F9)");

    auto no_bucket = parse_error("<Error><Code>NoSuchBucket</Code><Message>The specified bucket "
                                 "does not exist</Message><BucketName>grin-raw</BucketName>"
                                 "<Key>run1/B1.tar.gz</Key></Error>");
    ASSERT_TRUE(no_bucket);
    EXPECT_EQ(no_bucket->bucket_name, "grin-raw");
    EXPECT_EQ(describe(*no_bucket), "NoSuchBucket: The specified bucket does not exist "
                                    "(key=run1/B1.tar.gz, bucket=grin-raw)");

    // SignatureDoesNotMatch carries more fields; they are ignored.
    auto signature = parse_error(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
        "does not match the signature you provided.</Message><AWSAccessKeyId>AKID"
        "</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n...</StringToSign><CanonicalRequest>"
        "GET\n/</CanonicalRequest></Error>");
    ASSERT_TRUE(signature);
    EXPECT_EQ(signature->code, "SignatureDoesNotMatch");

    EXPECT_EQ(describe(error_body{}), "unknown S3 error");
    EXPECT_EQ(describe(error_body{.code = "X\n\x01", .message = "m"}), "X ?: m");

    EXPECT_FALSE(parse_error(""));
    EXPECT_FALSE(parse_error("<html><body>403 Forbidden</body></html>"));
    EXPECT_FALSE(parse_error("<Error><Code>x</Code>"));
    EXPECT_FALSE(parse_error("<ListBucketResult/>"));
    EXPECT_FALSE(parse_error("not xml at all"));
}

std::vector<std::string> keys_in(const std::string& xml) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(xml.c_str(), pugi::parse_default | pugi::parse_ws_pcdata));
    std::vector<std::string> keys;
    for (auto object : doc.child("Delete").children("Object"))
        keys.push_back(object.child_value("Key"));
    return keys;
}

TEST(s3_xml_build, delete_objects_escapes_keys) {
    std::vector<std::string> keys = {"run1/B1.tar.gz",
                                     "a&b<c>\"d\"'e'",
                                     "dir/\xc3\xbc \xc3\xb1/\xe6\x97\xa5.txt",
                                     "]]>",
                                     " spaced ",
                                     "   "};
    auto xml = build_delete_objects(keys);
    EXPECT_TRUE(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete ")) << xml;
    EXPECT_NE(xml.find("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"),
              std::string::npos);
    EXPECT_NE(xml.find("<Key>a&amp;b&lt;c&gt;\"d\"'e'</Key>"), std::string::npos) << xml;
    EXPECT_TRUE(xml.ends_with("<Quiet>true</Quiet></Delete>")) << xml;
    EXPECT_EQ(keys_in(xml), keys);
    EXPECT_TRUE(build_delete_objects(keys, false).ends_with("<Quiet>false</Quiet></Delete>"));
}

TEST(s3_xml_build, delete_objects_limits) {
    std::vector<std::string> keys(max_delete_keys);
    for (std::size_t i = 0; i < keys.size(); ++i)
        keys[i] = "run1/B" + std::to_string(i) + ".tar.gz";
    EXPECT_EQ(keys_in(build_delete_objects(keys)).size(), 1000u);
    keys.push_back("one-too-many");
    EXPECT_THROW(build_delete_objects(keys), grin::error);
    EXPECT_THROW(build_delete_objects({}), grin::error);
    for (std::string bad : {std::string(""), std::string("a\rb"), std::string("a\nb"),
                            std::string("a\0b", 3), std::string("\xff\xfe"), std::string("\xc3"),
                            std::string("\xed\xa0\x80") /* surrogate */}) {
        std::vector<std::string> one = {bad};
        EXPECT_THROW(build_delete_objects(one), grin::error);
    }
}

TEST(s3_xml_build, complete_multipart_upload_sorts_parts) {
    std::vector<completed_part> parts = {{3, "\"c\""}, {1, "\"a\""}, {2, "\"b&\""}};
    EXPECT_EQ(build_complete_multipart_upload(parts),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
              "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part>"
              "<Part><PartNumber>2</PartNumber><ETag>\"b&amp;\"</ETag></Part>"
              "<Part><PartNumber>3</PartNumber><ETag>\"c\"</ETag></Part>"
              "</CompleteMultipartUpload>");
}

TEST(s3_xml_build, complete_multipart_upload_rejects_bad_part_lists) {
    auto rejected = [](std::vector<completed_part> parts) {
        EXPECT_THROW(build_complete_multipart_upload(parts), grin::error);
    };
    rejected({});
    rejected({{0, "\"a\""}});
    rejected({{10001, "\"a\""}});
    rejected({{-1, "\"a\""}});
    rejected({{1, "\"a\""}, {1, "\"b\""}});
    rejected({{1, ""}});
    rejected({{1, "\"a\r\""}});
    std::vector<completed_part> many;
    for (int i = 10000; i >= 1; --i)
        many.push_back({i, "\"e\""});
    auto xml = build_complete_multipart_upload(many);
    EXPECT_NE(xml.find("<Part><PartNumber>1</PartNumber>"), std::string::npos);
    EXPECT_TRUE(xml.ends_with("<Part><PartNumber>10000</PartNumber><ETag>\"e\"</ETag></Part>"
                              "</CompleteMultipartUpload>"));
}

} // namespace
