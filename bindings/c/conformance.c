/*
 * The conformance corpus (fixtures/conformance/cases.json, then the lease cases of leases.json)
 * through the C ABI: every case and step, every field of `expect` compared; each disagreement
 * printed (case, step, expected, got). Exit 0 only when every step agrees and at least one case
 * of each file ran.
 *
 *   conformance [CASES.json [LEASES.json]]
 *
 * The cases file: the first argument, else $LICET_CONFORMANCE_CASES, else
 * fixtures/conformance/cases.json; the lease cases: the second argument, else
 * $LICET_CONFORMANCE_LEASES, else fixtures/conformance/leases.json. Paths in each are relative to
 * the directory it is in. Every object is freed, so the run is clean under valgrind.
 */
#define _XOPEN_SOURCE 700
#include <cjson/cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "licet.h"

static int disagreements = 0;
static int harness_errors = 0;

/* A failure of the harness itself (a file missing, a call failing): counted and printed. */
static void harness_error(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("error: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  harness_errors++;
}

/* The whole file at dir/relative into a new buffer (NUL-terminated; *len without the NUL). */
static char *read_file(const char *dir, const char *relative, size_t *len) {
  char path[4096];
  if (relative[0] == '/') {
    snprintf(path, sizeof path, "%s", relative);
  } else {
    snprintf(path, sizeof path, "%s/%s", dir, relative);
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    harness_error("cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf == NULL) {
    harness_error("out of memory reading %s", path);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* An error object's message, then free it; NULL-safe. */
static void report_error(const char *what, licet_result rc, licet_error *error) {
  harness_error("%s: %s: %s", what, licet_result_name(rc),
                error != NULL ? licet_error_message(error) : "(no error object)");
  licet_error_free(error);
}

/* Appends "name: expected X, got Y" for one field. */
static void differ(char *diff, size_t size, const char *field, const char *expected,
                   const char *got) {
  size_t used = strlen(diff);
  snprintf(diff + used, size - used, "\n    %s: expected %s, got %s", field, expected, got);
}

static const char *or_null(const char *s) { return s != NULL ? s : "null"; }

static void compare_string(char *diff, size_t size, const char *field, const cJSON *expected,
                           const char *got) {
  if (cJSON_IsNull(expected)) {
    if (got != NULL) differ(diff, size, field, "null", got);
  } else if (!cJSON_IsString(expected)) {
    differ(diff, size, field, "(not a string in cases.json)", or_null(got));
  } else if (got == NULL || strcmp(got, expected->valuestring) != 0) {
    differ(diff, size, field, expected->valuestring, or_null(got));
  }
}

static void compare_time(char *diff, size_t size, const char *field, const cJSON *expected,
                         bool present, int64_t got) {
  char got_text[32] = "null";
  if (present) snprintf(got_text, sizeof got_text, "%" PRId64, got);
  if (cJSON_IsNull(expected)) {
    if (present) differ(diff, size, field, "null", got_text);
  } else if (!cJSON_IsNumber(expected)) {
    differ(diff, size, field, "(not a number in cases.json)", got_text);
  } else if (!present || (double)got != expected->valuedouble) {
    char expected_text[32];
    snprintf(expected_text, sizeof expected_text, "%.0f", expected->valuedouble);
    differ(diff, size, field, expected_text, got_text);
  }
}

static void compare_bool(char *diff, size_t size, const char *field, const cJSON *expected,
                         bool got) {
  if (!cJSON_IsBool(expected) || cJSON_IsTrue(expected) != got) {
    differ(diff, size, field, cJSON_IsTrue(expected) ? "true" : "false", got ? "true" : "false");
  }
}

static void compare_claims(char *diff, size_t size, const cJSON *expected,
                           const licet_report *report) {
  bool verified = licet_report_verified(report);
  const char *claims_json = licet_report_claims_json(report);
  if ((claims_json != NULL) != verified) {
    differ(diff, size, "claims_json", verified ? "an object" : "NULL",
           claims_json != NULL ? claims_json : "NULL");
  }
  if (cJSON_IsNull(expected)) {
    if (verified) differ(diff, size, "claims", "null", "the claims of a verified license");
    return;
  }
  if (!verified) {
    differ(diff, size, "claims", "the claims of a verified license", "null");
    return;
  }
  const cJSON *field;
  cJSON_ArrayForEach(field, expected) {
    const char *name = field->string;
    int64_t t = 0;
    if (strcmp(name, "license_id") == 0) {
      compare_string(diff, size, "claims.license_id", field, licet_report_license_id(report));
    } else if (strcmp(name, "customer_id") == 0) {
      compare_string(diff, size, "claims.customer_id", field, licet_report_customer_id(report));
    } else if (strcmp(name, "product") == 0) {
      compare_string(diff, size, "claims.product", field, licet_report_product(report));
    } else if (strcmp(name, "license_type") == 0) {
      compare_string(diff, size, "claims.license_type", field, licet_report_license_type(report));
    } else if (strcmp(name, "alg") == 0) {
      compare_string(diff, size, "claims.alg", field, licet_report_alg(report));
    } else if (strcmp(name, "kid") == 0) {
      compare_string(diff, size, "claims.kid", field, licet_report_kid(report));
    } else if (strcmp(name, "issued_at") == 0) {
      bool present = licet_report_issued_at(report, &t);
      compare_time(diff, size, "claims.issued_at", field, present, t);
    } else if (strcmp(name, "expires_at") == 0) {
      bool present = licet_report_expires_at(report, &t);
      compare_time(diff, size, "claims.expires_at", field, present, t);
    } else {
      differ(diff, size, name, "(a claim this runner does not know)", "-");
    }
  }
  /* The claims JSON says the same as the getters. */
  cJSON *claims = cJSON_Parse(claims_json);
  const cJSON *jti = cJSON_GetObjectItemCaseSensitive(claims, "jti");
  const char *license_id = licet_report_license_id(report);
  if (!cJSON_IsString(jti) || license_id == NULL || strcmp(jti->valuestring, license_id) != 0) {
    differ(diff, size, "claims_json.jti", or_null(license_id), claims_json);
  }
  cJSON_Delete(claims);
}

/* Compares each list's status with the expected ones, in order. */
static void compare_lists(char *diff, size_t size, const cJSON *expected,
                          const licet_report *report) {
  size_t count = licet_report_list_count(report);
  char got[1024] = "[", want[1024] = "[";
  bool same = (size_t)cJSON_GetArraySize(expected) == count;
  for (size_t i = 0; i < count; i++) {
    const char *s = licet_list_status_name(licet_report_list_status(report, i));
    snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "", s);
    const cJSON *e = cJSON_GetArrayItem(expected, (int)i);
    if (!cJSON_IsString(e) || strcmp(e->valuestring, s) != 0) same = false;
  }
  const cJSON *e;
  int i = 0;
  cJSON_ArrayForEach(e, expected) {
    snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i++ ? "," : "",
             cJSON_IsString(e) ? e->valuestring : "?");
  }
  strcat(got, "]");
  strcat(want, "]");
  if (!same) differ(diff, size, "lists", want, got);
}

/* Compares one step's report with its `expect`; the differences go to diff (empty: agrees). */
static void compare(char *diff, size_t size, const cJSON *expect, const licet_report *report) {
  diff[0] = '\0';
  const char *status = licet_status_name(licet_report_status(report));
  /* The number's name and the verifier's own name agree (no status without a number). */
  if (strcmp(status, licet_report_status_name(report)) != 0) {
    differ(diff, size, "status number", licet_report_status_name(report), status);
  }
  const cJSON *field;
  cJSON_ArrayForEach(field, expect) {
    const char *name = field->string;
    if (strcmp(name, "status") == 0) {
      compare_string(diff, size, "status", field, status);
    } else if (strcmp(name, "valid") == 0) {
      compare_bool(diff, size, "valid", field, licet_report_valid(report));
    } else if (strcmp(name, "passed") == 0) {
      compare_bool(diff, size, "passed", field, licet_report_passed(report));
    } else if (strcmp(name, "lists") == 0) {
      compare_lists(diff, size, field, report);
    } else if (strcmp(name, "claims") == 0) {
      compare_claims(diff, size, field, report);
    } else {
      differ(diff, size, name, "(a field this runner does not know)", "-");
    }
  }
}

static const char *string_field(const cJSON *object, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Runs one step; returns false on a harness error. */
static bool run_step(const char *dir, const char *case_name, int step_index, const cJSON *step,
                     const licet_keys *keys, const licet_guard *guard, const char *license,
                     size_t license_len, uint32_t tolerance) {
  bool ok = false;
  licet_error *error = NULL;
  licet_report *report = NULL;
  licet_options *options = licet_options_new();
  const cJSON *lists_json = cJSON_GetObjectItemCaseSensitive(step, "lists");
  int n_lists = cJSON_GetArraySize(lists_json);
  licet_list_input *lists = calloc(n_lists > 0 ? (size_t)n_lists : 1, sizeof *lists);
  char **list_bytes = calloc(n_lists > 0 ? (size_t)n_lists : 1, sizeof *list_bytes);
  if (options == NULL || lists == NULL || list_bytes == NULL) {
    harness_error("out of memory");
    goto done;
  }
  const cJSON *at = cJSON_GetObjectItemCaseSensitive(step, "at");
  const cJSON *leeway = cJSON_GetObjectItemCaseSensitive(step, "leeway");
  licet_result rc = licet_options_set_time(options, (int64_t)cJSON_GetNumberValue(at), &error);
  if (rc == LICET_OK) rc = licet_options_set_leeway(options, (uint32_t)cJSON_GetNumberValue(leeway), &error);
  if (rc == LICET_OK) rc = licet_options_set_clock_tolerance(options, tolerance, &error);
  const char *machine = string_field(step, "machine");
  if (rc == LICET_OK && machine != NULL) rc = licet_options_set_machine(options, machine, &error);
  if (rc == LICET_OK) rc = licet_options_set_product(options, string_field(step, "product"), &error);
  if (rc != LICET_OK) {
    report_error("options", rc, error);
    goto done;
  }
  for (int i = 0; i < n_lists; i++) {
    const cJSON *name = cJSON_GetArrayItem(lists_json, i);
    if (!cJSON_IsString(name)) {
      harness_error("case %s, step %d: a list that is not a string", case_name, step_index);
      goto done;
    }
    size_t len = 0;
    list_bytes[i] = read_file(dir, name->valuestring, &len);
    if (list_bytes[i] == NULL) goto done;
    lists[i].source = name->valuestring;
    lists[i].data = (const uint8_t *)list_bytes[i];
    lists[i].len = len;
  }
  if (guard != NULL) {
    rc = licet_guard_check(guard, (const uint8_t *)license, license_len, lists, (size_t)n_lists,
                           options, &report, &error);
  } else {
    rc = licet_check(keys, (const uint8_t *)license, license_len, lists, (size_t)n_lists, options,
                     &report, &error);
  }
  if (rc != LICET_OK) {
    report_error("check", rc, error);
    goto done;
  }
  char diff[8192];
  compare(diff, sizeof diff, cJSON_GetObjectItemCaseSensitive(step, "expect"), report);
  if (diff[0] != '\0') {
    char *expected = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(step, "expect"));
    printf("DISAGREE case %s, step %d:%s\n    expected: %s\n    reason: %s\n", case_name,
           step_index, diff, or_null(expected), or_null(licet_report_reason(report)));
    free(expected);
    disagreements++;
  }
  ok = true;
done:
  for (int i = 0; list_bytes != NULL && i < n_lists; i++) free(list_bytes[i]);
  free(list_bytes);
  free(lists);
  licet_report_free(report);
  licet_options_free(options);
  return ok;
}

/* Compares a lease report with a lease case's `expect`. */
static void compare_lease(char *diff, size_t size, const cJSON *expect,
                          const licet_lease_report *report) {
  diff[0] = '\0';
  const char *status = licet_status_name(licet_lease_report_status(report));
  if (strcmp(status, licet_lease_report_status_name(report)) != 0) {
    differ(diff, size, "status number", licet_lease_report_status_name(report), status);
  }
  const cJSON *field;
  cJSON_ArrayForEach(field, expect) {
    const char *name = field->string;
    if (strcmp(name, "status") == 0) {
      compare_string(diff, size, "status", field, status);
    } else if (strcmp(name, "valid") == 0) {
      compare_bool(diff, size, "valid", field, licet_lease_report_valid(report));
    } else if (strcmp(name, "passed") == 0) {
      compare_bool(diff, size, "passed", field, licet_lease_report_passed(report));
    } else if (strcmp(name, "part") == 0) {
      licet_lease_part part = licet_lease_report_part(report);
      const char *got = part == LICET_LEASE_PART_POOL    ? "pool"
                        : part == LICET_LEASE_PART_LEASE ? "lease"
                                                         : NULL;
      compare_string(diff, size, "part", field, got);
    } else if (strcmp(name, "lists") == 0) {
      /* The lists' verdicts are in the pool's report. */
      compare_lists(diff, size, field, licet_lease_report_pool(report));
    } else if (strcmp(name, "lease") == 0) {
      const char *lease_id = licet_lease_report_lease_id(report);
      if (cJSON_IsNull(field)) {
        if (lease_id != NULL) differ(diff, size, "lease", "null", "the fields of a verified lease");
        continue;
      }
      int64_t t = 0;
      compare_string(diff, size, "lease.lease_id",
                     cJSON_GetObjectItemCaseSensitive(field, "lease_id"), lease_id);
      compare_string(diff, size, "lease.machine_id",
                     cJSON_GetObjectItemCaseSensitive(field, "machine_id"),
                     licet_lease_report_machine_id(report));
      compare_string(diff, size, "lease.pool_license_id",
                     cJSON_GetObjectItemCaseSensitive(field, "pool_license_id"),
                     licet_lease_report_pool_license_id(report));
      bool present = licet_lease_report_issued_at(report, &t);
      compare_time(diff, size, "lease.issued_at",
                   cJSON_GetObjectItemCaseSensitive(field, "issued_at"), present, t);
      present = licet_lease_report_expires_at(report, &t);
      compare_time(diff, size, "lease.expires_at",
                   cJSON_GetObjectItemCaseSensitive(field, "expires_at"), present, t);
    } else {
      differ(diff, size, name, "(a field this runner does not know)", "-");
    }
  }
  /* The JSON says the same status as the getters. */
  cJSON *json = cJSON_Parse(licet_lease_report_json(report));
  const cJSON *json_status = cJSON_GetObjectItemCaseSensitive(json, "status");
  if (!cJSON_IsString(json_status) || strcmp(json_status->valuestring, status) != 0) {
    differ(diff, size, "json.status", status, "another status, or no JSON");
  }
  cJSON_Delete(json);
}

/* Runs one lease case; returns 1 when it ran (agreeing or not), 0 on a harness error. */
static int run_lease_case(const char *dir, const cJSON *c) {
  const char *name = string_field(c, "name");
  const char *lease_path = string_field(c, "lease");
  const char *pool_path = string_field(c, "pool");
  const cJSON *trusted = cJSON_GetObjectItemCaseSensitive(c, "trusted");
  const cJSON *lists_json = cJSON_GetObjectItemCaseSensitive(c, "lists");
  if (name == NULL || lease_path == NULL || pool_path == NULL || !cJSON_IsArray(trusted) ||
      !cJSON_IsArray(lists_json)) {
    harness_error("a lease case without name, lease, pool, trusted or lists");
    return 0;
  }
  int ran = 0;
  int n_lists = cJSON_GetArraySize(lists_json);
  size_t lease_len = 0, pool_len = 0;
  char *lease = read_file(dir, lease_path, &lease_len);
  char *pool = read_file(dir, pool_path, &pool_len);
  licet_keys *keys = licet_keys_new();
  licet_options *options = licet_options_new();
  licet_lease_report *report = NULL;
  licet_error *error = NULL;
  licet_list_input *lists = calloc(n_lists > 0 ? (size_t)n_lists : 1, sizeof *lists);
  char **list_bytes = calloc(n_lists > 0 ? (size_t)n_lists : 1, sizeof *list_bytes);
  if (lease == NULL || pool == NULL || keys == NULL || options == NULL || lists == NULL ||
      list_bytes == NULL) {
    goto done;
  }
  const cJSON *file;
  cJSON_ArrayForEach(file, trusted) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, cJSON_IsString(file) ? file->valuestring : "?");
    size_t added = 0;
    licet_result rc = licet_keys_add_file(keys, path, &added, &error);
    if (rc != LICET_OK) {
      report_error(path, rc, error);
      goto done;
    }
  }
  licet_result rc = licet_options_set_time(
      options, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "at")), &error);
  if (rc == LICET_OK) {
    rc = licet_options_set_leeway(
        options, (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "leeway")),
        &error);
  }
  if (rc == LICET_OK) {
    rc = licet_options_set_clock_tolerance(
        options,
        (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "clock_tolerance")),
        &error);
  }
  const char *machine = string_field(c, "machine");
  if (rc == LICET_OK && machine != NULL) rc = licet_options_set_machine(options, machine, &error);
  if (rc != LICET_OK) {
    report_error("options", rc, error);
    goto done;
  }
  for (int i = 0; i < n_lists; i++) {
    const cJSON *list = cJSON_GetArrayItem(lists_json, i);
    size_t len = 0;
    list_bytes[i] = cJSON_IsString(list) ? read_file(dir, list->valuestring, &len) : NULL;
    if (list_bytes[i] == NULL) goto done;
    lists[i].source = list->valuestring;
    lists[i].data = (const uint8_t *)list_bytes[i];
    lists[i].len = len;
  }
  rc = licet_verify_lease(keys, (const uint8_t *)lease, lease_len, (const uint8_t *)pool, pool_len,
                          lists, (size_t)n_lists, options, &report, &error);
  if (rc != LICET_OK) {
    report_error("verify_lease", rc, error);
    goto done;
  }
  char diff[8192];
  compare_lease(diff, sizeof diff, cJSON_GetObjectItemCaseSensitive(c, "expect"), report);
  if (diff[0] != '\0') {
    char *expected = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "expect"));
    printf("DISAGREE lease case %s:%s\n    expected: %s\n    reason: %s\n", name, diff,
           or_null(expected), or_null(licet_lease_report_reason(report)));
    free(expected);
    disagreements++;
  }
  ran = 1;
done:
  for (int i = 0; list_bytes != NULL && i < n_lists; i++) free(list_bytes[i]);
  free(list_bytes);
  free(lists);
  licet_lease_report_free(report);
  licet_options_free(options);
  licet_keys_free(keys);
  free(lease);
  free(pool);
  return ran;
}

/* Runs one case; returns the number of steps run. */
static int run_case(const char *dir, const cJSON *c) {
  const char *name = string_field(c, "name");
  const char *license_path = string_field(c, "license");
  const cJSON *trusted = cJSON_GetObjectItemCaseSensitive(c, "trusted");
  const cJSON *steps = cJSON_GetObjectItemCaseSensitive(c, "steps");
  bool stateful = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "state"));
  uint32_t tolerance =
      (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "clock_tolerance"));
  if (name == NULL || license_path == NULL || !cJSON_IsArray(trusted) || !cJSON_IsArray(steps)) {
    harness_error("a case without name, license, trusted or steps");
    return 0;
  }
  int ran = 0;
  size_t license_len = 0;
  char *license = read_file(dir, license_path, &license_len);
  licet_keys *keys = licet_keys_new();
  licet_guard *guard = NULL;
  licet_error *error = NULL;
  char state_dir[] = "/tmp/licet-conformance-XXXXXX";
  bool made_state_dir = false;
  if (license == NULL || keys == NULL) goto done;
  const cJSON *file;
  cJSON_ArrayForEach(file, trusted) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, cJSON_IsString(file) ? file->valuestring : "?");
    size_t added = 0;
    licet_result rc = licet_keys_add_file(keys, path, &added, &error);
    if (rc != LICET_OK) {
      report_error(path, rc, error);
      goto done;
    }
  }
  const cJSON *rollovers = cJSON_GetObjectItemCaseSensitive(c, "rollovers");
  if (!cJSON_IsArray(rollovers)) {
    harness_error("case %s has no rollovers array", name);
    goto done;
  }
  cJSON_ArrayForEach(file, rollovers) {
    size_t statement_len = 0;
    char *statement =
        read_file(dir, cJSON_IsString(file) ? file->valuestring : "?", &statement_len);
    if (statement == NULL) goto done;
    int32_t already = 0;
    licet_result rc = licet_keys_add_rollover(keys, (const uint8_t *)statement, statement_len,
                                              &already, &error);
    free(statement);
    if (rc != LICET_OK) {
      report_error(file->valuestring, rc, error);
      goto done;
    }
  }
  if (stateful) {
    if (mkdtemp(state_dir) == NULL) {
      harness_error("mkdtemp: %s", strerror(errno));
      goto done;
    }
    made_state_dir = true;
    licet_result rc = licet_guard_open(state_dir, keys, tolerance, 5000, &guard, &error);
    if (rc != LICET_OK) {
      report_error("guard", rc, error);
      goto done;
    }
  }
  const cJSON *step;
  int index = 0;
  cJSON_ArrayForEach(step, steps) {
    if (run_step(dir, name, index, step, keys, guard, license, license_len, tolerance)) ran++;
    index++;
  }
done:
  licet_guard_free(guard);
  licet_keys_free(keys);
  free(license);
  if (made_state_dir) nftw(state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return ran;
}

/* The directory a file is in ("." when its path has none). */
static void directory_of(char *dir, size_t size, const char *path) {
  snprintf(dir, size, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL) {
    *slash = '\0';
  } else {
    snprintf(dir, size, ".");
  }
}

/* Runs every lease case of `path`; returns the number run, or -1 when the file is unusable. */
static int run_lease_file(const char *path) {
  char dir[4096];
  directory_of(dir, sizeof dir, path);
  size_t len = 0;
  char *text = read_file(".", path, &len);
  if (text == NULL) return -1;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  if (!cJSON_IsNumber(format) || format->valuedouble != 1 || !cJSON_IsArray(cases)) {
    fprintf(stderr, "%s: not a lease cases file of format 1\n", path);
    cJSON_Delete(root);
    return -1;
  }
  int ran = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cases) { ran += run_lease_case(dir, c); }
  cJSON_Delete(root);
  return ran;
}

int main(int argc, char **argv) {
  const char *cases_path = argc > 1 ? argv[1] : getenv("LICET_CONFORMANCE_CASES");
  if (cases_path == NULL || cases_path[0] == '\0') cases_path = "fixtures/conformance/cases.json";
  const char *leases_path = argc > 2 ? argv[2] : getenv("LICET_CONFORMANCE_LEASES");
  if (leases_path == NULL || leases_path[0] == '\0') leases_path = "fixtures/conformance/leases.json";
  char dir[4096];
  directory_of(dir, sizeof dir, cases_path);
  if (licet_abi_version() < LICET_ABI_VERSION) {
    fprintf(stderr, "liblicet implements ABI %u, this runner needs %u\n", licet_abi_version(),
            LICET_ABI_VERSION);
    return 2;
  }
  size_t len = 0;
  char *text = read_file(".", cases_path, &len);
  if (text == NULL) return 2;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  if (!cJSON_IsNumber(format) || format->valuedouble != 1 || !cJSON_IsArray(cases)) {
    fprintf(stderr, "%s: not a cases file of format 1\n", cases_path);
    cJSON_Delete(root);
    return 2;
  }
  int n_cases = 0, n_steps = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cases) {
    n_steps += run_case(dir, c);
    n_cases++;
  }
  cJSON_Delete(root);
  int n_leases = run_lease_file(leases_path);
  if (n_leases < 0) return 2;
  printf("C conformance (liblicet %s): %d cases, %d steps, %d lease cases, %d disagree, %d harness errors\n",
         licet_version(), n_cases, n_steps, n_leases, disagreements, harness_errors);
  printf("%d passed, %d failed\n", n_steps + n_leases - disagreements,
         disagreements + harness_errors);
  if (n_cases == 0 || n_steps == 0 || n_leases == 0) {
    fprintf(stderr, "no case ran (cases: %d, lease cases: %d)\n", n_cases, n_leases);
    return 1;
  }
  return disagreements == 0 && harness_errors == 0 ? 0 : 1;
}
