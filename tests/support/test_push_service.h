// A local Web Push service for tests: HTTPS on 127.0.0.1 with a self-signed certificate made at
// start (its PEM file is the trust store to give the sender), recording every request and
// answering with scripted statuses (default 201; 0 = hold the connection without answering).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace machi::test {

struct PushCall {
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class TestPushService {
 public:
  explicit TestPushService(const std::filesystem::path& dir)
      : tls_(boost::asio::ssl::context::tls_server), acceptor_(ioc_) {
    make_certificate(dir / "push-service.pem");
    using tcp = boost::asio::ip::tcp;
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({boost::asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestPushService() {
    ioc_.stop();
    thread_.join();
  }

  std::string origin() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  // Statuses for the next requests, in order; then 201.
  void script(std::vector<unsigned> statuses) {
    std::lock_guard lock(mutex_);
    for (unsigned s : statuses) statuses_.push_back(s);
  }
  std::vector<PushCall> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
      boost::asio::co_spawn(ioc_, serve(std::move(socket)), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream(std::move(socket), tls_);
    try {
      co_await stream.async_handshake(boost::asio::ssl::stream_base::server, boost::asio::use_awaitable);
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, boost::asio::use_awaitable);
      PushCall call{std::string(req.target()), {}, req.body()};
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        call.headers[name] = std::string(f.value());
      }
      unsigned status = 201;
      {
        std::lock_guard lock(mutex_);
        calls_.push_back(std::move(call));
        if (!statuses_.empty()) {
          status = statuses_.front();
          statuses_.pop_front();
        }
      }
      if (status == 0) {  // hold: the sender's deadline must end this
        boost::asio::steady_timer hold(co_await boost::asio::this_coro::executor, std::chrono::seconds(30));
        co_await hold.async_wait(boost::asio::use_awaitable);
        co_return;
      }
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.keep_alive(false);
      res.prepare_payload();
      co_await http::async_write(stream, res, boost::asio::use_awaitable);
    } catch (const std::exception&) {
    }
  }

  void make_certificate(const std::filesystem::path& pem) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1, DNS:localhost"},
                              std::pair{NID_basic_constraints, "critical, CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(out, cert);
    char* data = nullptr;
    long length = BIO_get_mem_data(out, &data);
    std::string cert_pem(data, static_cast<size_t>(length));
    BIO_free(out);
    out = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    length = BIO_get_mem_data(out, &data);
    std::string key_pem(data, static_cast<size_t>(length));
    BIO_free(out);
    X509_free(cert);
    EVP_PKEY_free(key);
    std::ofstream(pem) << cert_pem;
    ca_file_ = pem;
    tls_.use_certificate(boost::asio::buffer(cert_pem), boost::asio::ssl::context::pem);
    tls_.use_private_key(boost::asio::buffer(key_pem), boost::asio::ssl::context::pem);
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::filesystem::path ca_file_;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<unsigned> statuses_;
  std::vector<PushCall> calls_;
};

}  // namespace machi::test
