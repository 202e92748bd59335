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
int staff(const Args& args);
int backup(const Args& args);
int restore(const Args& args);
int plugin_host(const Args& args);
int plugin_probe(const Args& args);

// Directory for content-addressed plugin copies: $MACHI_PLUGIN_CACHE, else <data>/plugin-cache.
std::string plugin_cache_dir(const std::string& data_dir);

// Where plugin files are searched when no --plugin-dir is given: $MACHI_PLUGIN_DIR (colon-
// separated), else beside this executable: ../lib/plugins (build tree) and ../lib/machi/plugins
// (installed).
std::vector<std::string> default_plugin_dirs();

}  // namespace machi::cli
