/*
 * licet.hpp: a small header-only C++17 wrapper of the licet C ABI (licet.h, liblicet).
 *
 * RAII owners for every licet object, exceptions (licet::Error, with the licet_result code) for
 * usage errors, and a licet::Report whose getters return std::string / std::optional. A verdict
 * is never an exception: check report.valid() or report.passed(). A string argument (a path, a
 * machine id, a product, a list's source) with a NUL character in it is a usage error
 * (LICET_ERR_INVALID_ARGUMENT), never cut short. A licet::List owns its bytes.
 *
 *   licet::Keys keys;
 *   keys.add_file("vendor.pub.pem");
 *   licet::Options options;
 *   options.product("my-product");
 *   licet::Report report = licet::verify(keys, license_bytes, options);
 *   if (!report.valid()) std::cerr << report.status_name() << ": " << report.reason() << "\n";
 *
 * Thread safety is the C ABI's: Keys and Options are read-only once set up and may be shared by
 * threads that verify; a Guard may be used by several threads at once; a Report may be read from
 * several threads. Hand-written (not generated); it uses only what licet.h declares.
 */
#ifndef LICET_HPP
#define LICET_HPP

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "licet.h"

namespace licet {

/** A usage error from licet (a key file that is not a key, a bad machine id, an unusable state). */
class Error : public std::runtime_error {
 public:
  Error(licet_result code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  /** The code (LICET_ERR_KEY, LICET_ERR_IO, ...). */
  licet_result code() const noexcept { return code_; }
  /** The code's name ("LICET_ERR_KEY", ...). */
  const char *code_name() const noexcept { return licet_result_name(code_); }

 private:
  licet_result code_;
};

namespace detail {

template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *object) const noexcept { Free(object); }
};

template <typename T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

/** Throws licet::Error for a failed call (and frees the error object). */
inline void check(licet_result rc, licet_error *error) {
  if (rc == LICET_OK) return;
  Owned<licet_error, licet_error_free> owned(error);
  const char *message = owned ? licet_error_message(owned.get()) : nullptr;
  throw Error(rc, message != nullptr ? message : licet_result_name(rc));
}

inline std::optional<std::string> optional(const char *s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s);
}

inline std::string text(const char *s) { return s != nullptr ? std::string(s) : std::string(); }

template <typename T>
T *made(T *object) {
  if (object == nullptr) throw std::bad_alloc();
  return object;
}

/** The string as a C string for the argument `name`; throws licet::Error
 * (LICET_ERR_INVALID_ARGUMENT) when it holds a NUL, which would silently cut it short there. */
inline const char *c_string(const std::string &s, const char *name) {
  std::size_t nul = s.find('\0');
  if (nul != std::string::npos) {
    throw Error(LICET_ERR_INVALID_ARGUMENT,
                std::string("the argument `") + name + "` contains a NUL character at offset " +
                    std::to_string(nul) + "; licet takes it as a C string, which would end there");
  }
  return s.c_str();
}

inline const uint8_t *bytes(std::string_view data) {
  return reinterpret_cast<const uint8_t *>(data.data());
}

}  // namespace detail

/** Trusted public keys (PEM, JWK, JWKS; they add up). */
class Keys {
 public:
  Keys() : keys_(detail::made(licet_keys_new())) {}
  /** Adds every key in a key file's contents; returns how many. Throws licet::Error. */
  std::size_t add(std::string_view data) {
    std::size_t added = 0;
    licet_error *error = nullptr;
    detail::check(licet_keys_add(keys_.get(), detail::bytes(data), data.size(), &added, &error),
                  error);
    return added;
  }
  /** Adds every key in a key file; returns how many. Throws licet::Error (also for a path with a
   * NUL character). */
  std::size_t add_file(const std::string &path) {
    std::size_t added = 0;
    licet_error *error = nullptr;
    detail::check(
        licet_keys_add_file(keys_.get(), detail::c_string(path, "path"), &added, &error), error);
    return added;
  }
  /** Adds the new key a key rollover statement introduces, when a key of the set signed it;
   * returns whether that key was in the set already. Throws licet::Error (the statement was
   * refused; nothing changes). */
  bool add_rollover(std::string_view statement) {
    int32_t already = 0;
    licet_error *error = nullptr;
    detail::check(licet_keys_add_rollover(keys_.get(), detail::bytes(statement), statement.size(),
                                          &already, &error),
                  error);
    return already != 0;
  }
  /** How many keys the set holds. */
  std::size_t count() const noexcept { return licet_keys_count(keys_.get()); }
  /** The C handle, owned by this object. */
  const licet_keys *get() const noexcept { return keys_.get(); }

 private:
  detail::Owned<licet_keys, licet_keys_free> keys_;
};

/** Verification options; the setters return *this, so they chain. Throws licet::Error (also for
 * a string argument with a NUL character, which the C ABI would cut short). */
class Options {
 public:
  Options() : options_(detail::made(licet_options_new())) {}
  /** Evaluates at this instant (seconds since the Unix epoch) instead of the system clock. */
  Options &at(int64_t unix_seconds) { return set(licet_options_set_time, unix_seconds); }
  /** Evaluates at the system clock of each call (the default). */
  Options &now() { return set0(licet_options_set_time_now); }
  /** Seconds of skew tolerated on nbf and exp (default 0). */
  Options &leeway(uint32_t seconds) { return set(licet_options_set_leeway, seconds); }
  /** How far before the license's issue time the clock may read (default 3600). */
  Options &clock_tolerance(uint32_t seconds) {
    return set(licet_options_set_clock_tolerance, seconds);
  }
  /** Checks node-locked licenses against this machine id (64 hex characters). */
  Options &machine(const std::string &machine_id) {
    return set(licet_options_set_machine, detail::c_string(machine_id, "machine_id"));
  }
  /** Checks node-locked licenses against this machine (the default). */
  Options &this_machine() { return set0(licet_options_set_this_machine); }
  /** Does not check machine bindings (audits only). */
  Options &no_machine_check() { return set0(licet_options_set_no_machine_check); }
  /** Requires the license to be issued for this product; std::nullopt accepts any. */
  Options &product(const std::optional<std::string> &product) {
    return set(licet_options_set_product,
               product ? detail::c_string(*product, "product") : nullptr);
  }
  /** The C handle, owned by this object. */
  const licet_options *get() const noexcept { return options_.get(); }

 private:
  template <typename F, typename V>
  Options &set(F setter, V value) {
    licet_error *error = nullptr;
    detail::check(setter(options_.get(), value, &error), error);
    return *this;
  }
  template <typename F>
  Options &set0(F setter) {
    licet_error *error = nullptr;
    detail::check(setter(options_.get(), &error), error);
    return *this;
  }
  detail::Owned<licet_options, licet_options_free> options_;
};

/** A revocation list to check: a name for the report and its bytes, both owned (a temporary, such
 * as `{"crl.jwt", read_file(path)}`, is safe to pass). */
struct List {
  std::string source;
  std::string data;
};

/** The verdict on one revocation list. */
struct ListReport {
  std::string source;
  licet_list_status status;
  /** The status name ("ACCEPTED", "OLDER_THAN_SEEN", ...). */
  std::string status_name;
  std::string reason;
};

/** The verdict on a license (and on the lists given with it). Move-only. */
class Report {
 public:
  explicit Report(licet_report *report) : report_(report) {}
  licet_status status() const noexcept { return licet_report_status(get()); }
  /** The status as the verifier names it ("ACTIVE", ...), also for one without a number yet. */
  std::string status_name() const { return detail::text(licet_report_status_name(get())); }
  bool valid() const noexcept { return licet_report_valid(get()); }
  bool passed() const noexcept { return licet_report_passed(get()); }
  bool verified() const noexcept { return licet_report_verified(get()); }
  std::string reason() const { return detail::text(licet_report_reason(get())); }
  std::optional<std::string> kid() const { return detail::optional(licet_report_kid(get())); }
  std::optional<std::string> alg() const { return detail::optional(licet_report_alg(get())); }
  /** Every claim as a JSON object; std::nullopt unless the signature verified. */
  std::optional<std::string> claims_json() const {
    return detail::optional(licet_report_claims_json(get()));
  }
  /** The report as `licet verify --json` prints it. */
  std::string json() const { return detail::text(licet_report_json(get())); }
  std::optional<std::string> license_id() const {
    return detail::optional(licet_report_license_id(get()));
  }
  std::optional<std::string> customer_id() const {
    return detail::optional(licet_report_customer_id(get()));
  }
  std::optional<std::string> product() const {
    return detail::optional(licet_report_product(get()));
  }
  std::optional<std::string> license_type() const {
    return detail::optional(licet_report_license_type(get()));
  }
  std::optional<int64_t> issued_at() const { return time(licet_report_issued_at); }
  std::optional<int64_t> expires_at() const { return time(licet_report_expires_at); }
  std::optional<int64_t> not_before() const { return time(licet_report_not_before); }
  std::optional<int64_t> entitlement_expires_at() const {
    return time(licet_report_entitlement_expires_at);
  }
  std::vector<ListReport> lists() const {
    std::vector<ListReport> lists;
    std::size_t count = licet_report_list_count(get());
    lists.reserve(count);
    for (std::size_t i = 0; i < count; i++) {
      licet_list_status status = licet_report_list_status(get(), i);
      lists.push_back(ListReport{detail::text(licet_report_list_source(get(), i)), status,
                                 licet_list_status_name(status),
                                 detail::text(licet_report_list_reason(get(), i))});
    }
    return lists;
  }
  std::size_t lists_enforced() const noexcept { return licet_report_lists_enforced(get()); }
  /** The C handle, owned by this object. */
  const licet_report *get() const noexcept { return report_.get(); }

 private:
  std::optional<int64_t> time(bool (*getter)(const licet_report *, int64_t *)) const {
    int64_t t = 0;
    if (!getter(get(), &t)) return std::nullopt;
    return t;
  }
  detail::Owned<licet_report, licet_report_free> report_;
};

namespace detail {
inline std::vector<licet_list_input> inputs(const std::vector<List> &lists) {
  std::vector<licet_list_input> inputs;
  inputs.reserve(lists.size());
  for (const List &l : lists) {
    inputs.push_back(
        licet_list_input{c_string(l.source, "lists[].source"), bytes(l.data), l.data.size()});
  }
  return inputs;
}
}  // namespace detail

/** Verifies a license file's bytes (no lists, no state). Throws licet::Error for usage errors. */
inline Report verify(const Keys &keys, std::string_view license,
                     const Options *options = nullptr) {
  licet_report *report = nullptr;
  licet_error *error = nullptr;
  detail::check(licet_verify(keys.get(), detail::bytes(license), license.size(),
                             options != nullptr ? options->get() : nullptr, &report, &error),
                error);
  return Report(report);
}

inline Report verify(const Keys &keys, std::string_view license, const Options &options) {
  return verify(keys, license, &options);
}

/** Checks a license with revocation lists, without a state. */
inline Report check(const Keys &keys, std::string_view license, const std::vector<List> &lists,
                    const Options *options = nullptr) {
  std::vector<licet_list_input> inputs = detail::inputs(lists);
  licet_report *report = nullptr;
  licet_error *error = nullptr;
  detail::check(licet_check(keys.get(), detail::bytes(license), license.size(), inputs.data(),
                            inputs.size(), options != nullptr ? options->get() : nullptr, &report,
                            &error),
                error);
  return Report(report);
}

inline Report check(const Keys &keys, std::string_view license, const std::vector<List> &lists,
                    const Options &options) {
  return check(keys, license, lists, &options);
}

/** The stateful guard (state directory, clock rollback, lists that stick). */
class Guard {
 public:
  /** Opens (creating it if missing) the state directory with a copy of the keys. Throws
   * licet::Error (also for a path with a NUL character). */
  Guard(const std::string &dir, const Keys &keys, uint32_t clock_tolerance_secs = 3600,
        uint32_t lock_timeout_ms = 5000) {
    licet_guard *guard = nullptr;
    licet_error *error = nullptr;
    detail::check(licet_guard_open(detail::c_string(dir, "dir"), keys.get(), clock_tolerance_secs,
                                   lock_timeout_ms, &guard, &error),
                  error);
    guard_.reset(guard);
  }
  /** Checks a license; throws licet::Error only when the state cannot be used. */
  Report check(std::string_view license, const std::vector<List> &lists = {},
               const Options *options = nullptr) const {
    std::vector<licet_list_input> inputs = detail::inputs(lists);
    licet_report *report = nullptr;
    licet_error *error = nullptr;
    detail::check(licet_guard_check(guard_.get(), detail::bytes(license), license.size(),
                                    inputs.data(), inputs.size(),
                                    options != nullptr ? options->get() : nullptr, &report,
                                    &error),
                  error);
    return Report(report);
  }
  Report check(std::string_view license, const std::vector<List> &lists,
               const Options &options) const {
    return check(license, lists, &options);
  }
  /** The C handle, owned by this object. */
  const licet_guard *get() const noexcept { return guard_.get(); }

 private:
  detail::Owned<licet_guard, licet_guard_free> guard_;
};

/** This machine's id (64 lowercase hex characters). Throws licet::Error. */
inline std::string machine_id() {
  char *id = nullptr;
  licet_error *error = nullptr;
  detail::check(licet_machine_id(&id, &error), error);
  std::unique_ptr<char, detail::Deleter<char, licet_string_free>> owned(id);
  return std::string(owned.get());
}

/** The library's version. */
inline std::string version() { return licet_version(); }

/** The name of a status number ("ACTIVE", ...; "UNKNOWN" for one this library does not know). */
inline const char *status_name(licet_status status) noexcept { return licet_status_name(status); }

}  // namespace licet

#endif  // LICET_HPP
