#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/net/tls_certificate.hpp>
#include <grin/net/url.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>

namespace grin::net {
namespace {

template <class T, void (*Free)(T*)>
using owned = std::unique_ptr<T, decltype([](T* p) { Free(p); })>;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& dir) {
    throw error("cannot create a TLS certificate in " + dir.string() + ": " + what,
                {.step = "tls"});
}

void add_extension(X509* cert,
                   int nid,
                   const std::string& value,
                   const std::filesystem::path& dir) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    owned<X509_EXTENSION, X509_EXTENSION_free> extension(
        X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || !X509_add_ext(cert, extension.get(), -1))
        fail("bad extension " + value, dir);
}

std::string to_pem(auto write) {
    owned<BIO, BIO_free_all> memory(BIO_new(BIO_s_mem()));
    write(memory.get());
    char* data = nullptr;
    long size = BIO_get_mem_data(memory.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

} // namespace

certificate_files ensure_self_signed_certificate(const std::filesystem::path& dir,
                                                 const std::vector<std::string>& names) {
    certificate_files files{dir / "cert.pem", dir / "key.pem"};
    if (std::filesystem::exists(files.certificate) && std::filesystem::exists(files.private_key))
        return files;

    owned<EVP_PKEY, EVP_PKEY_free> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        fail("key generation failed", dir);
    owned<X509, X509_free> cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(std::time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* subject = X509_get_subject_name(cert.get());
    std::string common_name = names.empty() ? "localhost" : names.back();
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), subject);

    std::string alt_names;
    for (const auto& name : names) {
        alt_names += alt_names.empty() ? "" : ",";
        alt_names += (is_ip_address(name) ? "IP:" : "DNS:") + name;
    }
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE", dir);
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign", dir);
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth", dir);
    if (!alt_names.empty())
        add_extension(cert.get(), NID_subject_alt_name, alt_names, dir);
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        fail("signing failed", dir);

    write_file_atomically(files.private_key, to_pem([&](BIO* bio) {
                              PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr,
                                                       nullptr);
                          }),
                          0600);
    write_file_atomically(files.certificate,
                          to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert.get()); }));
    return files;
}

} // namespace grin::net
