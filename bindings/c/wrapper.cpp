/*
 * The C++ wrapper's own promises (licet.hpp), beyond the corpus that conformance.cpp runs:
 *   - a licet::List owns its bytes: lists built from temporaries (`{"crl.jwt", read_file(p)}`)
 *     are checked as given, never read after the temporary is gone (run under valgrind too);
 *   - a string argument with a NUL character in it (a path, a machine id, a product, a list's
 *     source) is a licet::Error (LICET_ERR_INVALID_ARGUMENT), never silently cut short there.
 *
 *   wrapper REPO_ROOT SCRATCH_DIR
 */
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "licet.hpp"

namespace fs = std::filesystem;

namespace {

int passed = 0, failed = 0;
fs::path root, scratch;

void expect(bool ok, const std::string &what) {
  if (ok) {
    passed++;
    std::cout << "ok   " << what << "\n";
  } else {
    failed++;
    std::cout << "FAIL " << what << "\n";
  }
}

std::string read_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/* The call throws licet::Error with LICET_ERR_INVALID_ARGUMENT naming `name` and the NUL. */
void expect_nul_refused(const std::string &what, const std::string &name,
                        const std::function<void()> &call) {
  try {
    call();
    expect(false, what + ": accepted (cut short at the NUL)");
  } catch (const licet::Error &e) {
    std::string message = e.what();
    bool ok = e.code() == LICET_ERR_INVALID_ARGUMENT &&
              message.find("`" + name + "`") != std::string::npos &&
              message.find("NUL") != std::string::npos;
    expect(ok, what + ": " + e.code_name() + ": " + message);
  }
}

const int64_t AT = 1798761600; /* 2027-01-01: the conformance licenses are ACTIVE */

licet::Keys conformance_keys() {
  licet::Keys keys;
  keys.add_file((root / "fixtures/conformance/keys/ed25519.pub.pem").string());
  keys.add_file((root / "fixtures/conformance/keys/rsa2048.pub.pem").string());
  return keys;
}

/* Lists made from temporaries, then the freed heap reused: the check still sees the lists' bytes. */
void lists_own_their_bytes() {
  const fs::path lists_dir = root / "fixtures/conformance/lists";
  licet::Keys keys = conformance_keys();
  const std::string license = read_file(root / "fixtures/conformance/licenses/revoked.lic");
  licet::Options options;
  options.at(AT);

  std::vector<licet::List> lists;
  lists.push_back({"revokes.jwt", read_file(lists_dir / "revokes-conf-revoked.jwt")});
  lists.push_back(licet::List{std::string("other.jwt"), read_file(lists_dir / "revokes-other.jwt")});
  /* Were the lists views of the temporaries above, these would now sit in their memory. */
  std::vector<std::string> reuse;
  for (int i = 0; i < 64; i++) reuse.emplace_back(467 + i % 8, 'x');

  licet::Report report = licet::check(keys, license, lists, options);
  std::vector<licet::ListReport> got = report.lists();
  expect(report.status() == LICET_STATUS_REVOKED && got.size() == 2 &&
             got[0].status == LICET_LIST_STATUS_ACCEPTED && got[0].source == "revokes.jwt" &&
             got[1].status == LICET_LIST_STATUS_ACCEPTED && got[1].source == "other.jwt",
         "licet::check with lists made from temporaries: " + report.status_name() + ", lists " +
             (got.size() > 0 ? got[0].status_name : "-") + " " +
             (got.size() > 1 ? got[1].status_name + " " + got[1].reason : "-"));

  licet::Guard guard((scratch / "owned-lists").string(), keys);
  licet::Report checked = guard.check(
      license, {{"revokes.jwt", read_file(lists_dir / "revokes-conf-revoked.jwt")}}, options);
  expect(checked.status() == LICET_STATUS_REVOKED && checked.lists().size() == 1 &&
             checked.lists()[0].status == LICET_LIST_STATUS_ACCEPTED,
         "Guard::check with a list made from a temporary: " + checked.status_name());

  /* The bytes a List was made from, changed afterwards: the List keeps its own copy. */
  std::string bytes = read_file(lists_dir / "revokes-conf-revoked.jwt");
  std::vector<licet::List> made{{"revokes.jwt", bytes}};
  bytes.assign(bytes.size(), 'x');
  expect(licet::check(keys, license, made, options).status() == LICET_STATUS_REVOKED,
         "a List keeps its own bytes when the string it was made from changes");
}

void strings_with_a_nul_are_refused() {
  using namespace std::string_literals;
  licet::Keys keys;
  const std::string key = (root / "fixtures/conformance/keys/ed25519.pub.pem").string();
  expect_nul_refused("Keys::add_file(path + NUL + junk)", "path",
                     [&] { keys.add_file(key + "\0junk"s); });
  expect(keys.count() == 0, "no key added by the refused path");

  licet::Options options;
  expect_nul_refused("Options::product(\"app\\0x\")", "product",
                     [&] { options.product("conformance-app\0x"s); });
  const std::string machine(64, 'a');
  expect_nul_refused("Options::machine(64 hex + NUL + junk)", "machine_id",
                     [&] { options.machine(machine + "\0junk"s); });
  options.product("conformance-app").machine(machine);
  expect(true, "the same strings without the NUL are accepted");

  licet::Keys trusted = conformance_keys();
  const std::string license = read_file(root / "fixtures/conformance/licenses/revoked.lic");
  const std::string list = read_file(root / "fixtures/conformance/lists/revokes-other.jwt");
  expect_nul_refused("licet::check with a list source \"a\\0b\"", "lists[].source",
                     [&] { licet::check(trusted, license, {{"a\0b"s, list}}); });
  const std::string dir = (scratch / "nul-state").string();
  expect_nul_refused("Guard(dir + NUL + junk)", "dir",
                     [&] { licet::Guard guard(dir + "\0junk"s, trusted); });
  expect(!fs::exists(dir), "no state directory made for the refused path");
  licet::Guard guard((scratch / "nul-lists").string(), trusted);
  expect_nul_refused("Guard::check with a list source \"a\\0b\"", "lists[].source",
                     [&] { guard.check(license, {{"a\0b"s, list}}); });
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: wrapper REPO_ROOT SCRATCH_DIR\n";
    return 2;
  }
  root = argv[1];
  scratch = argv[2];
  try {
    lists_own_their_bytes();
    strings_with_a_nul_are_refused();
  } catch (const std::exception &e) {
    std::cout << "FAIL unexpected exception: " << e.what() << "\n";
    failed++;
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}
