// The `machi` command line: one function per sub-command, each returning the exit code.
// Usage problems print to stderr with the usage line and return 2.
#pragma once

#include <string>
#include <vector>

namespace machi::cli {

using Args = std::vector<std::string>;

int plugin_info(const Args& args);
int plugin_call(const Args& args);
int serve(const Args& args);
int check(const Args& args);

// Directory for content-addressed plugin copies: $MACHI_PLUGIN_CACHE, else <data>/plugin-cache.
std::string plugin_cache_dir(const std::string& data_dir);

}  // namespace machi::cli
