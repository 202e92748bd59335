// Identity's stores on one real runtime database: what each concern keeps, and how they act on
// one another (a sign-out everywhere moves the account's token epoch; a consent change moves the
// disclosure generation; deleting an account takes its sign-ins and consents with it).
#include <doctest/doctest.h>

#include "runtime/identity/account_store.h"
#include "runtime/identity/consent_store.h"
#include "runtime/identity/sign_in_store.h"
#include "tests/support/scratch_dir.h"

using namespace machi;
using namespace machi::identity;

namespace {

struct Stores {
  test::ScratchDir dir;
  std::unique_ptr<storage::RuntimeDatabase> db = storage::RuntimeDatabase::open(dir / "runtime.db").value();
  AccountStore accounts{*db};
  SignInStore sign_ins{*db, accounts};
  ConsentStore consents{*db, accounts};

  Account make(const std::string& login) {
    Account a;
    a.login = login;
    a.password_hash = "scrypt$test";
    a.display_name = "佐賀 花子";
    auto created = accounts.create(a);
    REQUIRE_MESSAGE(created.is_ok(), created.error());
    return created.value();
  }
};

}  // namespace

TEST_CASE("accounts: a login is taken case-insensitively; the epoch moves with a password change") {
  Stores s;
  Account a = s.make("Hanako@example.jp");
  Account twin;
  twin.login = "hanako@EXAMPLE.jp";
  twin.password_hash = "x";
  twin.display_name = "x";
  auto taken = s.accounts.create(twin);
  REQUIRE_FALSE(taken.is_ok());
  CHECK(taken.code() == StatusCode::kAlreadyExists);
  CHECK(taken.error() == "the login is already registered");
  CHECK(s.accounts.by_login("HANAKO@example.jp")->id == a.id);
  CHECK(s.accounts.token_epoch(a.public_id) == 0u);
  REQUIRE(s.accounts.set_password(a.id, "scrypt$new"));
  CHECK(s.accounts.token_epoch(a.public_id) == 1u);
  CHECK(s.accounts.by_id(a.id)->password_hash == "scrypt$new");
}

TEST_CASE("sign-ins: refresh reuse revokes the family; revoking the account ends sessions and moves the epoch") {
  Stores s;
  Account a = s.make("taro@example.jp");
  REQUIRE(s.sign_ins.add_refresh("h1", a.id, "fam", INT64_MAX));
  REQUIRE(s.sign_ins.add_refresh("h2", a.id, "fam", INT64_MAX));
  int64_t account_id = 0;
  std::string family;
  CHECK(s.sign_ins.use_refresh("h1", 0, account_id, family) == SignInStore::RefreshUse::kOk);
  CHECK(account_id == a.id);
  CHECK(s.sign_ins.use_refresh("h1", 0, account_id, family) == SignInStore::RefreshUse::kReused);
  CHECK(s.sign_ins.use_refresh("h2", 0, account_id, family) == SignInStore::RefreshUse::kUnknown);

  REQUIRE(s.sign_ins.add_session("sess", a.id, "csrf", INT64_MAX));
  CHECK(s.sign_ins.session("sess", 0)->second == "csrf");
  s.sign_ins.revoke_account(a.id);
  CHECK_FALSE(s.sign_ins.session("sess", 0).has_value());
  CHECK(s.accounts.token_epoch(a.public_id) == 1u);
}

TEST_CASE("sign-ins: back-off is free three times, then doubles from one second") {
  Stores s;
  for (int i = 0; i < 3; ++i) CHECK(s.sign_ins.record_failure("login:x", 1000) == 1000);
  CHECK(s.sign_ins.record_failure("login:x", 1000) == 2000);
  CHECK(s.sign_ins.record_failure("login:x", 1000) == 3000);
  CHECK(s.sign_ins.blocked_until_ms("login:x") == 3000);
  CHECK(s.sign_ins.blocked_until_ms("login:other") == 0);
  s.sign_ins.clear_failures("login:x");
  CHECK(s.sign_ins.blocked_until_ms("login:x") == 0);
}

TEST_CASE("consents move the disclosure generation; deleting the account takes consents and subjects with it") {
  Stores s;
  Account a = s.make("jiro@example.jp");
  uint64_t before = s.accounts.disclosure_generation();
  REQUIRE(s.consents.set_consent(a.id, "childcare", {"birthdate", "household"}));
  CHECK(s.accounts.disclosure_generation() > before);
  CHECK(s.consents.consented(a.id, "childcare").size() == 2);
  REQUIRE(s.consents.remember_subject("childcare", "subj", a.id));
  CHECK(s.consents.account_for_subject("childcare", "subj") == a.id);
  before = s.accounts.disclosure_generation();
  REQUIRE(s.accounts.delete_account(a.id));
  CHECK(s.accounts.disclosure_generation() > before);
  CHECK(s.consents.consented(a.id, "childcare").empty());
  CHECK_FALSE(s.consents.account_for_subject("childcare", "subj").has_value());
  CHECK_FALSE(s.accounts.token_epoch(a.public_id).has_value());
}
