#include "runtime/identity/key_store.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/sha.h>

#include <mutex>

#include "runtime/identity/base64url.h"

namespace machi::identity {
namespace fs = std::filesystem;

namespace {

KeyStore::Clock::time_point file_time(const fs::path& file) {
  std::error_code ec;
  auto t = fs::last_write_time(file, ec);
  if (ec) return KeyStore::Clock::now();
  return std::chrono::time_point_cast<KeyStore::Clock::duration>(fs::file_time_type::clock::to_sys(t));
}

}  // namespace

std::string KeyStore::thumbprint(const Es256Key& key) {
  // RFC 7638: the required members, lexicographic order, no whitespace.
  std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + key.jwk_x() + R"(","y":")" +
                          key.jwk_y() + R"("})";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Result<std::unique_ptr<KeyStore>> KeyStore::open(const fs::path& dir, std::chrono::seconds rotate,
                                                 std::chrono::seconds keep) {
  std::unique_ptr<KeyStore> store(new KeyStore(dir, rotate, keep));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::error("key directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".pem") continue;
    auto key = Es256Key::load_pem(entry.path());
    if (!key) return key.status();
    std::string kid = thumbprint(key.value());
    if (kid != entry.path().stem().string()) {
      return Status::error("key " + entry.path().string() + ": file name is not its thumbprint");
    }
    store->keys_[kid] = {std::make_shared<const Es256Key>(std::move(key).value()),
                         file_time(entry.path())};
  }
  if (store->keys_.empty()) {
    if (Status s = store->add_new_key(Clock::now()); !s) return s;
  }
  return store;
}

Status KeyStore::add_new_key(Clock::time_point now) {
  auto key = Es256Key::generate();
  if (!key) return key.status();
  std::string kid = thumbprint(key.value());
  fs::path file = dir_ / (kid + ".pem");
  if (Status s = key.value().save_pem(file); !s) return s;
  std::error_code ec;
  fs::last_write_time(file, fs::file_time_type::clock::from_sys(now), ec);
  keys_[kid] = {std::make_shared<const Es256Key>(std::move(key).value()), now};
  return Status::ok();
}

const std::pair<const std::string, KeyStore::Entry>* KeyStore::newest() const {
  const std::pair<const std::string, Entry>* best = nullptr;
  for (const auto& entry : keys_) {
    if (!best || entry.second.created > best->second.created) best = &entry;
  }
  return best;
}

KeyStore::SigningKey KeyStore::signing_key() const {
  std::shared_lock lock(mutex_);
  const auto* n = newest();
  return {n->first, n->second.key};
}

std::shared_ptr<const Es256Key> KeyStore::find(std::string_view kid) const {
  std::shared_lock lock(mutex_);
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second.key;
}

Result<bool> KeyStore::rotate_if_due(Clock::time_point now) {
  std::unique_lock lock(mutex_);
  bool rotated = false;
  if (now - newest()->second.created >= rotate_after_) {
    if (Status s = add_new_key(now); !s) return s;
    rotated = true;
  }
  // A key retires when the next newer key was created; it is deleted `keep` after that.
  for (auto it = keys_.begin(); it != keys_.end();) {
    Clock::time_point retired = Clock::time_point::max();
    for (const auto& [kid, other] : keys_) {
      if (other.created > it->second.created) retired = std::min(retired, other.created);
    }
    if (retired != Clock::time_point::max() && now - retired >= keep_after_retire_) {
      std::error_code ec;
      fs::remove(dir_ / (it->first + ".pem"), ec);
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
  return rotated;
}

std::string KeyStore::jwks_json() const {
  std::shared_lock lock(mutex_);
  boost::json::array keys;
  for (const auto& [kid, entry] : keys_) {
    keys.push_back(boost::json::object{{"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"},
                                       {"use", "sig"}, {"kid", kid},
                                       {"x", entry.key->jwk_x()}, {"y", entry.key->jwk_y()}});
  }
  return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

size_t KeyStore::key_count() const {
  std::shared_lock lock(mutex_);
  return keys_.size();
}

}  // namespace machi::identity
