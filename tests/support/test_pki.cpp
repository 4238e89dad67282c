#include "test_pki.h"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace confab::test {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

Key new_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "key generation");
  return key;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "key PEM");
  return bio_text(bio.get());
}

std::string cert_pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "certificate PEM");
  return bio_text(bio.get());
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert new_cert(EVP_PKEY* key, const std::string& common_name, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  return cert;
}

}  // namespace

struct TestCa::Keys {
  Key key;
  Cert cert;
};

TestCa::TestCa() : keys_(new Keys) {
  keys_->key = new_key();
  keys_->cert = new_cert(keys_->key.get(), "Confab Test CA", 1);
  X509_set_issuer_name(keys_->cert.get(), X509_get_subject_name(keys_->cert.get()));
  add_extension(keys_->cert.get(), keys_->cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(keys_->cert.get(), keys_->cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  check(X509_sign(keys_->cert.get(), keys_->key.get(), EVP_sha256()) > 0, "CA signature");
  ca_ = {test::cert_pem(keys_->cert.get()), key_pem(keys_->key.get())};
}

TestCa::~TestCa() { delete keys_; }

Certificate TestCa::issue(const std::vector<std::string>& alt_names) const {
  static long serial = 100;
  Key key = new_key();
  Cert cert = new_cert(key.get(), alt_names.empty() ? "server" : alt_names.front(), ++serial);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(keys_->cert.get()));
  std::string sans;
  for (const auto& n : alt_names) sans += (sans.empty() ? "" : ",") + n;
  if (!sans.empty()) add_extension(cert.get(), keys_->cert.get(), NID_subject_alt_name, sans);
  add_extension(cert.get(), keys_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), keys_->cert.get(), NID_ext_key_usage, "serverAuth");
  check(X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) > 0, "server signature");
  return {test::cert_pem(cert.get()), key_pem(key.get())};
}

}  // namespace confab::test
