#include "machi/plugin_api.h"

#include <doctest/doctest.h>

#include <cstddef>

// The fixed parts of ABI 1.0. If one of these fails, the change breaks every built plugin:
// revert it, or (only with a new major) update COMPATIBILITY.md and this test together.
TEST_CASE("status codes keep their values") {
  CHECK(MACHI_OK == 0);
  CHECK(MACHI_PENDING == 1);
  CHECK(MACHI_ROW == 2);
  CHECK(MACHI_DONE == 3);
  CHECK(MACHI_ERR_INVALID_ARGUMENT == -1);
  CHECK(MACHI_ERR_NOT_FOUND == -2);
  CHECK(MACHI_ERR_UNIMPLEMENTED == -3);
  CHECK(MACHI_ERR_EXPIRED == -4);
  CHECK(MACHI_ERR_DENIED == -5);
  CHECK(MACHI_ERR_TOO_LARGE == -6);
  CHECK(MACHI_ERR_STORAGE == -7);
  CHECK(MACHI_ERR_BUSY == -8);
  CHECK(MACHI_ERR_WRONG_THREAD == -9);
  CHECK(MACHI_ERR_INVALID_STATE == -10);
  CHECK(MACHI_ERR_CONSTRAINT == -11);
  CHECK(MACHI_ERR_INTERNAL == -12);
  CHECK(MACHI_ERR_VERSION == -13);
}

TEST_CASE("this header is ABI 1.3") {
  CHECK(MACHI_ABI_MAJOR == 1);
  CHECK(MACHI_ABI_MINOR == 3);
}

TEST_CASE("1.0 struct layouts: struct_size first, fields at fixed offsets (LP64)") {
  CHECK(offsetof(machi_negotiate_out, struct_size) == 0);
  CHECK(offsetof(machi_negotiate_out, abi_major) == 4);
  CHECK(offsetof(machi_negotiate_out, abi_minor) == 8);
  CHECK(offsetof(machi_negotiate_out, hooks) == 64);
  CHECK(sizeof(machi_negotiate_out) == 72);
  CHECK(offsetof(machi_plugin_hooks, on_instance_create) == 8);
  CHECK(offsetof(machi_plugin_hooks, on_subject_erase) == 72);
  CHECK(sizeof(machi_plugin_hooks) == 80);
  CHECK(offsetof(machi_host_api, log) == 8);
  CHECK(offsetof(machi_host_api, publish) == 8 + 8 * 33);  // the last 1.0 callback
  CHECK(offsetof(machi_host_api, card_resolve) == 8 + 8 * 34);  // 1.1: appended
  CHECK(offsetof(machi_host_api, notify) == 8 + 8 * 35);  // 1.2: appended after 1.1
  CHECK(offsetof(machi_host_api, schedule_until) == 8 + 8 * 36);
  CHECK(offsetof(machi_host_api, local_time_to_unix) == 8 + 8 * 37);
  CHECK(offsetof(machi_host_api, read_data_file) == 8 + 8 * 38);  // 1.3: appended
  CHECK(sizeof(machi_host_api) == 8 + 8 * 39);
  CHECK(sizeof(machi_request) == 120);
  CHECK(sizeof(machi_response) == 56);
  CHECK(sizeof(machi_event) == 48);
  CHECK(sizeof(machi_instance_args) == 64);
  CHECK(sizeof(machi_str) == 16);
}
