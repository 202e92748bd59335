// The plugin-host protocol: how the runtime and a `machi plugin-host` process talk over one
// local stream socket (a socketpair). Every message is a frame
//     u32 length (of what follows) | u8 kind | u64 id | payload
// in the machine's byte order (both ends are the same binary on the same machine). Requests,
// hook calls and host-function calls carry their own ids, so many are in flight at once in both
// directions; docs/operations.md ("Isolating a vendor's plugin") describes the exchange.
// Thread-safety: a Channel may be written from any number of threads (frames never interleave)
// and read from one thread. Encoder/Decoder are plain values.
#pragma once

#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plugin/plugin_types.h"
#include "runtime/status.h"
#include "runtime/storage/plugin_store.h"

namespace machi::wire {

enum class Kind : uint8_t {
  kInit = 1,   // runtime → host, once: what to load and mount
  kReady,      // host → runtime, once: mounted, or why not
  kRequest,    // runtime → host: a resident's request (id: the request's)
  kResponse,   // host → runtime: its answer
  kAbandon,    // runtime → host: answered elsewhere (deadline, client gone); complete() expires
  kCall,       // runtime → host: a hook call (Op below)
  kReply,      // host → runtime: that call's answer
  kHostCall,   // host → runtime: a host function the runtime serves (Op below)
  kHostReply,  // runtime → host: its answer
};

enum class Op : uint8_t {
  // kCall
  kInfoCard = 1,
  kHealth,
  kExport,
  kErase,
  kDeliverEvents,
  kOutboxPeek,
  kOutboxRemove,
  // kHostCall
  kPublish = 32,
  kCardResolve,
  kKnownSubject,
};

// Frames beyond this are a protocol error (a request body is limited far below it).
constexpr size_t kMaxFrame = 96u * 1024 * 1024;

struct Frame {
  Kind kind{};
  uint64_t id = 0;
  std::string payload;
};

class Encoder {
 public:
  Encoder& u8(uint8_t v) { return raw(&v, 1); }
  Encoder& u32(uint32_t v) { return raw(&v, 4); }
  Encoder& u64(uint64_t v) { return raw(&v, 8); }
  Encoder& i64(int64_t v) { return raw(&v, 8); }
  Encoder& str(std::string_view s);
  Encoder& bytes(std::string_view s) {  // as they are, no length: the rest of a payload
    bytes_.append(s);
    return *this;
  }
  Encoder& claims(const Claims& claims);
  Encoder& headers(const HeaderList& headers);
  Encoder& request(const PluginRequest& request);  // all but the card resolver
  Encoder& response(const PluginResponse& response);
  Encoder& outbox(const std::vector<storage::OutboxItem>& items);
  const std::string& view() const { return bytes_; }
  std::string take() { return std::move(bytes_); }

 private:
  Encoder& raw(const void* p, size_t n) {
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string bytes_;
};

// Reads what an Encoder wrote. A short or malformed input sets failed() and yields zeros and
// empty strings from then on; check ok() once at the end.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : bytes_(bytes) {}
  uint8_t u8() { return fixed<uint8_t>(); }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  int64_t i64() { return fixed<int64_t>(); }
  std::string str();
  std::string rest();  // what is left, as it is
  Claims claims();
  HeaderList headers();
  PluginRequest request(bool& staff);  // staff: the runtime resolves citizen cards for it
  PluginResponse response();
  std::vector<storage::OutboxItem> outbox();
  bool ok() const { return !failed_; }

 private:
  template <typename T>
  T fixed() {
    T v{};
    if (failed_ || bytes_.size() - pos_ < sizeof(T)) {
      failed_ = true;
      return v;
    }
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  size_t count(size_t min_bytes_each);  // a list length, checked against what is left
  std::string_view bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

class Channel {
 public:
  // Takes ownership of `fd` (a connected stream socket) and makes it non-blocking.
  explicit Channel(int fd);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Sends one frame. Fails when the peer is gone, or when it has not made room for the frame
  // within `stall_limit` (a wedged peer; the channel is then shut down).
  Status send(Kind kind, uint64_t id, std::string_view payload);
  // The next frame, waiting up to `timeout_ms` (-1: as long as it takes). Fails at end of
  // stream, after shutdown(), on timeout or on a malformed frame. One reader at a time.
  Result<Frame> receive(int timeout_ms = -1);
  // Ends the stream both ways: the reader (here and at the peer) sees end of stream.
  void shutdown();

  static constexpr int kStallLimitMs = 2000;

 private:
  int fd_;
  std::mutex write_mutex_;
  std::string in_;
  size_t in_start_ = 0;
};

}  // namespace machi::wire
