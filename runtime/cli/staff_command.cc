// machi staff add --manifest FILE [--data DIR] --login LOGIN [--name NAME] --role ROLE…
// Creates a staff account (password: the first line of standard input) or, if the login exists,
// sets its roles (and its password when one is given). Roles must be listed in the manifest's
// staff_roles. Works beside a running server (SQLite WAL).
#include <cstdio>
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/identity/municipality_identity.h"
#include "runtime/identity/password_hasher.h"
#include "runtime/manifest/manifest.h"

namespace machi::cli {

int staff(const Args& args) {
  if (args.empty() || args[0] != "add") {
    std::fputs("usage: machi staff add --manifest FILE [--data DIR] --login LOGIN [--name NAME] "
               "--role ROLE [--role ROLE…]  (password on standard input)\n", stderr);
    return 2;
  }
  std::string manifest_file, data = "data", login, name;
  std::vector<std::string> roles;
  for (size_t i = 1; i + 1 < args.size(); i += 2) {
    const std::string& a = args[i];
    if (a == "--manifest") manifest_file = args[i + 1];
    else if (a == "--data") data = args[i + 1];
    else if (a == "--login") login = args[i + 1];
    else if (a == "--name") name = args[i + 1];
    else if (a == "--role") roles.push_back(args[i + 1]);
    else {
      std::fprintf(stderr, "machi staff: bad option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (manifest_file.empty() || login.empty() || roles.empty()) {
    std::fputs("machi staff add: --manifest, --login and at least one --role are required\n", stderr);
    return 2;
  }
  std::vector<ManifestProblem> problems;
  auto manifest = load_manifest(manifest_file, problems);
  if (!manifest) {
    std::fprintf(stderr, "machi: %s\n", manifest.error().c_str());
    return 1;
  }
  for (const auto& role : roles) {
    const auto& known = manifest->staff_roles;
    if (std::find(known.begin(), known.end(), role) == known.end()) {
      std::fprintf(stderr, "machi staff: role '%s' is not in %s's staff_roles\n", role.c_str(),
                   manifest_file.c_str());
      return 1;
    }
  }
  auto identity = identity::MunicipalityIdentity::open(
      std::filesystem::path(data) / manifest->municipality_id, manifest->municipality_id);
  if (!identity) {
    std::fprintf(stderr, "machi: %s\n", identity.error().c_str());
    return 1;
  }
  std::string password;
  std::getline(std::cin, password);
  identity::PasswordHasher hasher(1, std::chrono::seconds(30));
  identity::AccountStore& store = identity.value()->accounts();
  auto account = store.by_login(login);
  if (!account) {
    if (password.size() < 8) {
      std::fputs("machi staff: a new account needs a password of 8 or more characters on stdin\n", stderr);
      return 1;
    }
    identity::Account a;
    a.login = login;
    a.display_name = name.empty() ? login : name;
    a.password_hash = hasher.hash(password).value();
    auto created = store.create(a);
    if (!created) {
      std::fprintf(stderr, "machi staff: %s\n", created.error().c_str());
      return 1;
    }
    account = created.value();
  } else if (!password.empty()) {
    store.set_password(account->id, hasher.hash(password).value());
  }
  if (Status s = store.set_roles(account->id, roles); !s) {
    std::fprintf(stderr, "machi staff: %s\n", s.message().c_str());
    return 1;
  }
  std::string list;
  for (const auto& r : roles) list += (list.empty() ? "" : ", ") + r;
  std::printf("staff %s in %s: %s\n", login.c_str(), manifest->municipality_id.c_str(), list.c_str());
  return 0;
}

}  // namespace machi::cli
