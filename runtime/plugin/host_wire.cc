#include "runtime/plugin/host_wire.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace machi::wire {

Encoder& Encoder::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  bytes_.append(s);
  return *this;
}

Encoder& Encoder::claims(const Claims& claims) {
  u32(static_cast<uint32_t>(claims.values.size()));
  for (const auto& [name, value] : claims.values) str(name).str(value);
  return *this;
}

Encoder& Encoder::headers(const HeaderList& headers) {
  u32(static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) str(name).str(value);
  return *this;
}

Encoder& Encoder::request(const PluginRequest& r) {
  str(r.method).str(r.path).str(r.query).str(r.body);
  HeaderList visible;
  visible.reserve(r.headers.size());
  for (const auto& header : r.headers) {
    if (!is_hidden_request_header(header.first)) visible.push_back(header);
  }
  headers(visible);
  claims(r.claims_view());
  str(r.request_id);
  return u8(r.resolve_card ? 1 : 0);
}

Encoder& Encoder::response(const PluginResponse& r) {
  u32(r.status).str(r.content_type).str(r.body);
  headers(r.headers);
  return u8(r.hook_failed ? 1 : 0);
}

Encoder& Encoder::outbox(const std::vector<storage::OutboxItem>& items) {
  u32(static_cast<uint32_t>(items.size()));
  for (const auto& item : items) i64(item.seq).str(item.subject).str(item.notification);
  return *this;
}

size_t Decoder::count(size_t min_bytes_each) {
  uint32_t n = u32();
  if (failed_ || static_cast<uint64_t>(n) * min_bytes_each > bytes_.size() - pos_) {
    failed_ = true;
    return 0;
  }
  return n;
}

std::string Decoder::str() {
  size_t n = count(1);
  std::string s(bytes_.substr(pos_, n));
  pos_ += n;
  return s;
}

Claims Decoder::claims() {
  Claims claims;
  size_t n = count(8);
  for (size_t i = 0; i < n && !failed_; ++i) {
    std::string name = str();
    claims.values.emplace(std::move(name), str());
  }
  return claims;
}

HeaderList Decoder::headers() {
  HeaderList headers;
  size_t n = count(8);
  headers.reserve(n);
  for (size_t i = 0; i < n && !failed_; ++i) {
    std::string name = str();
    headers.emplace_back(std::move(name), str());
  }
  return headers;
}

std::string Decoder::rest() {
  if (failed_) return {};
  std::string s(bytes_.substr(pos_));
  pos_ = bytes_.size();
  return s;
}

PluginRequest Decoder::request(bool& staff) {
  PluginRequest r;
  r.method = str();
  r.path = str();
  r.query = str();
  r.body = str();
  r.headers = headers();
  r.claims = claims();
  r.request_id = str();
  staff = u8() != 0;
  return r;
}

PluginResponse Decoder::response() {
  PluginResponse r;
  r.status = u32();
  r.content_type = str();
  r.body = str();
  r.headers = headers();
  r.hook_failed = u8() == 1;
  return r;
}

std::vector<storage::OutboxItem> Decoder::outbox() {
  std::vector<storage::OutboxItem> items;
  size_t n = count(16);
  for (size_t i = 0; i < n && !failed_; ++i) {
    storage::OutboxItem item;
    item.seq = i64();
    item.subject = str();
    item.notification = str();
    items.push_back(std::move(item));
  }
  return items;
}

Channel::Channel(int fd) : fd_(fd) {
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

Channel::~Channel() { ::close(fd_); }

void Channel::shutdown() { ::shutdown(fd_, SHUT_RDWR); }

Status Channel::send(Kind kind, uint64_t id, std::string_view payload) {
  if (payload.size() > kMaxFrame - 9) return Status::error("message too large for the plugin host");
  char header[13];
  uint32_t length = static_cast<uint32_t>(9 + payload.size());
  std::memcpy(header, &length, 4);
  header[4] = static_cast<char>(kind);
  std::memcpy(header + 5, &id, 8);
  iovec parts[2] = {{header, sizeof(header)},
                    {const_cast<char*>(payload.data()), payload.size()}};
  size_t total = sizeof(header) + payload.size();
  size_t sent = 0;
  std::lock_guard lock(write_mutex_);
  while (sent < total) {
    iovec left[2];
    int count = 0;
    if (sent < sizeof(header)) {
      left[count++] = {header + sent, sizeof(header) - sent};
      if (!payload.empty()) left[count++] = parts[1];
    } else {
      size_t offset = sent - sizeof(header);
      left[count++] = {const_cast<char*>(payload.data()) + offset, payload.size() - offset};
    }
    msghdr message{};
    message.msg_iov = left;
    message.msg_iovlen = count;
    ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int ready = ::poll(&p, 1, kStallLimitMs);
      if (ready > 0 || (ready < 0 && errno == EINTR)) continue;
      ::shutdown(fd_, SHUT_RDWR);
      return Status::error("the plugin host stopped reading for " +
                           std::to_string(kStallLimitMs) + " ms");
    }
    return Status::error(std::string("the plugin host connection is closed: ") +
                         (n < 0 ? std::strerror(errno) : "end of stream"));
  }
  return Status::ok();
}

Result<Frame> Channel::receive(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t available = in_.size() - in_start_;
    if (available >= 13) {
      uint32_t length;
      std::memcpy(&length, in_.data() + in_start_, 4);
      if (length < 9 || length > kMaxFrame) {
        return Status::error("malformed frame from the plugin host (length " +
                             std::to_string(length) + ")");
      }
      if (available >= 4 + static_cast<size_t>(length)) {
        Frame frame;
        frame.kind = static_cast<Kind>(in_[in_start_ + 4]);
        std::memcpy(&frame.id, in_.data() + in_start_ + 5, 8);
        frame.payload.assign(in_, in_start_ + 13, length - 9);
        in_start_ += 4 + length;
        if (in_start_ == in_.size()) {
          in_.clear();
          in_start_ = 0;
        }
        return frame;
      }
    }
    if (in_start_ > 0 && in_start_ * 2 > in_.size()) {  // keep the buffer from creeping
      in_.erase(0, in_start_);
      in_start_ = 0;
    }
    size_t old = in_.size();
    in_.resize(old + 64 * 1024);
    ssize_t n = ::recv(fd_, in_.data() + old, 64 * 1024, 0);
    in_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n > 0) continue;
    if (n == 0) return Status::error("end of stream");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int wait = -1;
      if (timeout_ms >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Status::error("no answer within " + std::to_string(timeout_ms) + " ms");
        wait = static_cast<int>(left.count());
      }
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, wait);
      continue;
    }
    return Status::error(std::string("plugin host connection: ") + std::strerror(errno));
  }
}

}  // namespace machi::wire
