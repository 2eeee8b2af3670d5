/*
 * Thread safety of the C ABI: several threads verify with one shared licet_keys and one shared
 * licet_options; several threads read one shared licet_report (its strings are made on first use,
 * once); several threads check with one shared licet_guard (the checks take turns on the state's
 * lock) and its state ends consistent. Run under valgrind too (no invalid access, no leak).
 *
 *   threads KEY LICENSE STATE_DIR
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licet.h"

#define THREADS 6
#define ROUNDS 40
#define GUARD_ROUNDS 10
/* 2026-06-01T00:00:00Z: the demo license is ACTIVE then. */
#define JUNE_2026 1780272000

static const licet_keys *shared_keys;
static const licet_options *shared_options;
static const licet_report *shared_report;
static const licet_guard *shared_guard;
static char *license;
static size_t license_len;

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  char *copy = malloc(n + 1);
  if (copy == NULL) return NULL;
  memcpy(copy, buf, n);
  copy[n] = '\0';
  *len = n;
  return copy;
}

/* Each returns NULL on success, else a message. */
static void *verify_many(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    licet_report *report = NULL;
    licet_result rc = licet_verify(shared_keys, (const uint8_t *)license, license_len,
                                   shared_options, &report, NULL);
    if (rc != LICET_OK) return "licet_verify failed";
    const char *customer = licet_report_customer_id(report);
    bool ok = licet_report_status(report) == LICET_STATUS_ACTIVE && customer != NULL &&
              strcmp(customer, "ACME-001") == 0;
    licet_report_free(report);
    if (!ok) return "a verify in a thread did not give ACTIVE for ACME-001";
  }
  return NULL;
}

static void *read_shared_report(void *arg) {
  (void)arg;
  /* Every thread asks for the same lazily made strings: one pointer, one content. */
  const char *reason = licet_report_reason(shared_report);
  const char *json = licet_report_json(shared_report);
  const char *claims = licet_report_claims_json(shared_report);
  for (int i = 0; i < ROUNDS; i++) {
    if (licet_report_reason(shared_report) != reason || licet_report_json(shared_report) != json ||
        licet_report_claims_json(shared_report) != claims) {
      return "a report string changed address between reads";
    }
  }
  if (json == NULL || strstr(json, "\"status\": \"ACTIVE\"") == NULL) {
    return "the report JSON does not say ACTIVE";
  }
  return NULL;
}

static void *check_with_guard(void *arg) {
  (void)arg;
  for (int i = 0; i < GUARD_ROUNDS; i++) {
    licet_report *report = NULL;
    licet_error *error = NULL;
    licet_result rc = licet_guard_check(shared_guard, (const uint8_t *)license, license_len, NULL,
                                        0, shared_options, &report, &error);
    if (rc != LICET_OK) {
      fprintf(stderr, "licet_guard_check: %s: %s\n", licet_result_name(rc),
              licet_error_message(error));
      licet_error_free(error);
      return "licet_guard_check failed in a thread";
    }
    bool ok = licet_report_status(report) == LICET_STATUS_ACTIVE;
    licet_report_free(report);
    if (!ok) return "a guard check in a thread was not ACTIVE";
  }
  return NULL;
}

static int run(void *(*body)(void *), const char *what) {
  pthread_t threads[THREADS];
  int failures = 0;
  for (int i = 0; i < THREADS; i++) {
    if (pthread_create(&threads[i], NULL, body, NULL) != 0) {
      fprintf(stderr, "%s: pthread_create failed\n", what);
      return 1;
    }
  }
  for (int i = 0; i < THREADS; i++) {
    void *result = NULL;
    pthread_join(threads[i], &result);
    if (result != NULL) {
      fprintf(stderr, "FAIL %s: %s\n", what, (const char *)result);
      failures++;
    }
  }
  printf("%s: %d threads, %s\n", what, THREADS, failures ? "FAILED" : "ok");
  return failures > 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: threads KEY LICENSE STATE_DIR\n");
    return 2;
  }
  license = read_all(argv[2], &license_len);
  if (license == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  licet_keys *keys = licet_keys_new();
  licet_options *options = licet_options_new();
  licet_error *error = NULL;
  if (licet_keys_add_file(keys, argv[1], NULL, &error) != LICET_OK ||
      licet_options_set_time(options, JUNE_2026, &error) != LICET_OK) {
    fprintf(stderr, "setup: %s\n", licet_error_message(error));
    return 2;
  }
  shared_keys = keys;
  shared_options = options;
  int failures = run(verify_many, "verify with shared keys and options");

  licet_report *report = NULL;
  licet_verify(keys, (const uint8_t *)license, license_len, options, &report, NULL);
  shared_report = report;
  failures += run(read_shared_report, "read one report");
  licet_report_free(report);

  licet_guard *guard = NULL;
  if (licet_guard_open(argv[3], keys, 3600, 30000, &guard, &error) != LICET_OK) {
    fprintf(stderr, "guard: %s\n", licet_error_message(error));
    return 2;
  }
  /* The guard has its own copy of the keys: free them first. */
  licet_keys_free(keys);
  shared_guard = guard;
  failures += run(check_with_guard, "check with one guard");
  /* The state is whole after the concurrent checks: one more check reads it. */
  licet_report *last = NULL;
  licet_result rc = licet_guard_check(guard, (const uint8_t *)license, license_len, NULL, 0,
                                      options, &last, &error);
  if (rc != LICET_OK || licet_report_status(last) != LICET_STATUS_ACTIVE) {
    fprintf(stderr, "FAIL the state after the concurrent checks: %s\n",
            rc != LICET_OK ? licet_error_message(error) : licet_report_reason(last));
    licet_error_free(error);
    failures++;
  }
  licet_report_free(last);
  licet_guard_free(guard);
  licet_options_free(options);
  free(license);
  printf("%d passed, %d failed\n", 4 - failures, failures);
  return failures == 0 ? 0 : 1;
}
