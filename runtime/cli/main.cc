// machi: the Machi runtime.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "runtime/cli/commands.h"
#include "runtime/plugin/plugin_loader.h"

namespace {

constexpr const char* kUsage =
    "usage: machi <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve --manifest FILE [--manifest FILE…] [--listen HOST:PORT] [--data DIR]\n"
    "        [--plugin-dir DIR…] [--io-threads N] [--workers N] [--max-connections N] [--once]\n"
    "        [--push-ca-file PEM] [--web-root DIR]\n"
    "        serve the manifests' municipalities over HTTP; files are watched and reloaded\n"
    "  check FILE [FILE…] [--plugin-dir DIR…]\n"
    "        validate manifests and the plugins they enable; print every problem\n"
    "  staff add --manifest FILE [--data DIR] --login LOGIN [--name NAME] --role ROLE…\n"
    "        create a staff account (password on stdin) or set its roles\n"
    "  backup [--data DIR] OUT_DIR\n"
    "        copy the data directory (databases, keys, secrets) while serving\n"
    "  restore [--data DIR] [--force] BACKUP_DIR\n"
    "        check a backup and put it in place of the data directory (runtime stopped)\n"
    "  plugin-info FILE.so        print a plugin's ABI version, id, version and hooks\n"
    "  plugin-call FILE.so [--config JSON] [--method M] [--body TEXT] [--claim NAME=VALUE…]\n"
    "              [--header NAME=VALUE…] PATH\n"
    "        create one instance and send it one request; print the answer\n"
    "  version                    print the runtime and ABI versions\n"
    "  plugin-host --fd N --parent PID\n"
    "        internal: the process an \"isolation\": \"process\" mini-app runs in (started by serve)\n"
    "  plugin-probe FILE.so\n"
    "        internal: opens a new plugin build in a throwaway process before serve maps it\n"
    "\n"
    "Plugin files named in a manifest are searched in each --plugin-dir, else in\n"
    "$MACHI_PLUGIN_DIR (colon-separated), else in ../lib/plugins and ../lib/machi/plugins\n"
    "beside this executable; then beside the manifest.\n";

}  // namespace

int main(int argc, char** argv) {
  // Everything Machi writes (databases with password hashes and the pairwise secret, keys,
  // plugin copies, backups) is private to the service user, whatever umask it was started with.
  ::umask(077);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string command = argv[1];
  machi::cli::Args args(argv + 2, argv + argc);
  if (command == "serve") return machi::cli::serve(args);
  if (command == "check") return machi::cli::check(args);
  if (command == "staff") return machi::cli::staff(args);
  if (command == "backup") return machi::cli::backup(args);
  if (command == "restore") return machi::cli::restore(args);
  if (command == "plugin-info") return machi::cli::plugin_info(args);
  if (command == "plugin-call") return machi::cli::plugin_call(args);
  if (command == "plugin-host") return machi::cli::plugin_host(args);
  if (command == "plugin-probe") return machi::cli::plugin_probe(args);
  if (command == "version" || command == "--version") {
    std::printf("machi %s (plugin ABI %s)\n", machi::runtime_version(),
                machi::runtime_abi_version().c_str());
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "machi: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
