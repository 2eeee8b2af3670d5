// The conformance corpus (fixtures/conformance/cases.json) through the C ABI from C++, with the
// header-only wrapper licet.hpp (RAII, exceptions): every case and step, every field of `expect`
// compared, each disagreement printed. Exit 0 only when every step agrees and a case ran.
//
//   conformance-cpp [CASES.json]   (else $LICET_CONFORMANCE_CASES, else
//                                   fixtures/conformance/cases.json; paths relative to its dir)
#include <cjson/cJSON.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "licet.hpp"

namespace fs = std::filesystem;

namespace {

using Json = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

std::string read_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const cJSON *field(const cJSON *object, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(object, name);
}

std::optional<std::string> string_or_null(const cJSON *item) {
  if (cJSON_IsString(item)) return std::string(item->valuestring);
  return std::nullopt;
}

std::string show(const std::optional<std::string> &s) { return s ? *s : "null"; }
std::string show(const std::optional<int64_t> &t) { return t ? std::to_string(*t) : "null"; }

std::optional<int64_t> time_or_null(const cJSON *item) {
  if (cJSON_IsNumber(item)) return static_cast<int64_t>(item->valuedouble);
  return std::nullopt;
}

// A temporary state directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "licet-conformance-cpp-XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const fs::path &path() const { return path_; }

 private:
  fs::path path_;
};

class Diff {
 public:
  void add(const std::string &name, const std::string &expected, const std::string &got) {
    text_ += "\n    " + name + ": expected " + expected + ", got " + got;
  }
  template <typename T>
  void same(const std::string &name, const T &expected, const T &got) {
    if (expected != got) add(name, show(expected), show(got));
  }
  bool empty() const { return text_.empty(); }
  const std::string &text() const { return text_; }

 private:
  std::string text_;
};

void compare_claims(Diff &diff, const cJSON *expected, const licet::Report &report) {
  if (report.claims_json().has_value() != report.verified()) {
    diff.add("claims_json", report.verified() ? "an object" : "NULL", show(report.claims_json()));
  }
  if (cJSON_IsNull(expected)) {
    if (report.verified()) diff.add("claims", "null", "the claims of a verified license");
    return;
  }
  if (!report.verified()) {
    diff.add("claims", "the claims of a verified license", "null");
    return;
  }
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, expected) {
    const std::string name = item->string;
    const std::string label = "claims." + name;
    if (name == "license_id") {
      diff.same(label, string_or_null(item), report.license_id());
    } else if (name == "customer_id") {
      diff.same(label, string_or_null(item), report.customer_id());
    } else if (name == "product") {
      diff.same(label, string_or_null(item), report.product());
    } else if (name == "license_type") {
      diff.same(label, string_or_null(item), report.license_type());
    } else if (name == "alg") {
      diff.same(label, string_or_null(item), report.alg());
    } else if (name == "kid") {
      diff.same(label, string_or_null(item), report.kid());
    } else if (name == "issued_at") {
      diff.same(label, time_or_null(item), report.issued_at());
    } else if (name == "expires_at") {
      diff.same(label, time_or_null(item), report.expires_at());
    } else {
      diff.add(label, "(a claim this runner does not know)", "-");
    }
  }
}

Diff compare(const cJSON *expect, const licet::Report &report) {
  Diff diff;
  const std::string status = licet::status_name(report.status());
  if (status != report.status_name()) diff.add("status number", report.status_name(), status);
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, expect) {
    const std::string name = item->string;
    if (name == "status") {
      diff.same(name, string_or_null(item), std::optional<std::string>(status));
    } else if (name == "valid" || name == "passed") {
      bool got = name == "valid" ? report.valid() : report.passed();
      if (!cJSON_IsBool(item) || static_cast<bool>(cJSON_IsTrue(item)) != got) {
        diff.add(name, cJSON_IsTrue(item) ? "true" : "false", got ? "true" : "false");
      }
    } else if (name == "lists") {
      std::string want, got;
      const cJSON *e = nullptr;
      cJSON_ArrayForEach(e, item) { want += (want.empty() ? "" : ",") + show(string_or_null(e)); }
      for (const licet::ListReport &l : report.lists()) {
        got += (got.empty() ? "" : ",") + l.status_name;
      }
      if (want != got) diff.add(name, "[" + want + "]", "[" + got + "]");
    } else if (name == "claims") {
      compare_claims(diff, item, report);
    } else {
      diff.add(name, "(a field this runner does not know)", "-");
    }
  }
  return diff;
}

struct Totals {
  int cases = 0, steps = 0, disagree = 0, errors = 0;
};

void run_case(const fs::path &dir, const cJSON *c, Totals &totals) {
  const std::string name = show(string_or_null(field(c, "name")));
  const std::string license = read_file(dir / field(c, "license")->valuestring);
  licet::Keys keys;
  const cJSON *file = nullptr;
  cJSON_ArrayForEach(file, field(c, "trusted")) { keys.add_file((dir / file->valuestring).string()); }
  cJSON_ArrayForEach(file, field(c, "rollovers")) { keys.add_rollover(read_file(dir / file->valuestring)); }
  const auto tolerance = static_cast<uint32_t>(field(c, "clock_tolerance")->valuedouble);
  std::optional<TempDir> state;
  std::optional<licet::Guard> guard;
  if (cJSON_IsTrue(field(c, "state"))) {
    state.emplace();
    guard.emplace(state->path().string(), keys, tolerance, 5000);
  }
  int index = 0;
  const cJSON *step = nullptr;
  cJSON_ArrayForEach(step, field(c, "steps")) {
    licet::Options options;
    options.at(static_cast<int64_t>(field(step, "at")->valuedouble))
        .leeway(static_cast<uint32_t>(field(step, "leeway")->valuedouble))
        .clock_tolerance(tolerance)
        .product(string_or_null(field(step, "product")));
    if (auto machine = string_or_null(field(step, "machine"))) options.machine(*machine);
    std::vector<std::string> bytes;
    std::vector<std::string> sources;
    const cJSON *list = nullptr;
    cJSON_ArrayForEach(list, field(step, "lists")) {
      sources.emplace_back(list->valuestring);
      bytes.push_back(read_file(dir / list->valuestring));
    }
    std::vector<licet::List> lists;
    for (std::size_t i = 0; i < bytes.size(); i++) lists.push_back({sources[i], bytes[i]});
    licet::Report report = guard ? guard->check(license, lists, options)
                                 : licet::check(keys, license, lists, options);
    Diff diff = compare(field(step, "expect"), report);
    if (!diff.empty()) {
      std::unique_ptr<char, decltype(&free)> expected(
          cJSON_PrintUnformatted(field(step, "expect")), &free);
      std::cout << "DISAGREE case " << name << ", step " << index << ":" << diff.text()
                << "\n    expected: " << expected.get() << "\n    reason: " << report.reason()
                << "\n";
      totals.disagree++;
    }
    totals.steps++;
    index++;
  }
}

}  // namespace

int main(int argc, char **argv) {
  const char *env = std::getenv("LICET_CONFORMANCE_CASES");
  const fs::path cases_path = argc > 1                        ? fs::path(argv[1])
                              : env != nullptr && env[0] != 0 ? fs::path(env)
                                                              : fs::path("fixtures/conformance/cases.json");
  const fs::path dir = cases_path.has_parent_path() ? cases_path.parent_path() : fs::path(".");
  Totals totals;
  try {
    Json root(cJSON_Parse(read_file(cases_path).c_str()), &cJSON_Delete);
    const cJSON *format = field(root.get(), "format");
    if (!cJSON_IsNumber(format) || format->valuedouble != 1 ||
        !cJSON_IsArray(field(root.get(), "cases"))) {
      std::cerr << cases_path << ": not a cases file of format 1\n";
      return 2;
    }
    const cJSON *c = nullptr;
    cJSON_ArrayForEach(c, field(root.get(), "cases")) {
      totals.cases++;
      try {
        run_case(dir, c, totals);
      } catch (const licet::Error &e) {
        std::cerr << "error: case " << show(string_or_null(field(c, "name"))) << ": "
                  << e.code_name() << ": " << e.what() << "\n";
        totals.errors++;
      } catch (const std::exception &e) {
        std::cerr << "error: case " << show(string_or_null(field(c, "name"))) << ": " << e.what()
                  << "\n";
        totals.errors++;
      }
    }
  } catch (const std::exception &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  std::cout << "C++ conformance (liblicet " << licet::version() << "): " << totals.cases
            << " cases, " << totals.steps << " steps, " << totals.disagree << " disagree, "
            << totals.errors << " harness errors\n";
  std::cout << totals.steps - totals.disagree << " passed, " << totals.disagree + totals.errors
            << " failed\n";
  if (totals.cases == 0 || totals.steps == 0) {
    std::cerr << "no case ran\n";
    return 1;
  }
  return totals.disagree == 0 && totals.errors == 0 ? 0 : 1;
}
