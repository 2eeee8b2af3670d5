/*
 * The error paths of the C ABI: each usage error gives its code and a message that names the
 * problem, out-parameters hold NULL after a failure, `error` may be NULL, and a "no" verdict is
 * never an error. Run under valgrind too (every error object is freed).
 *
 *   errors REPO_ROOT SCRATCH_DIR
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "licet.h"

static int passed = 0, failed = 0;
static const char *root, *scratch;

static void expect(bool ok, const char *what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s\n", what);
  }
}

/* The call gave `code` and an error whose code is the same and whose message contains `needle`;
 * frees the error. */
static void expect_error(const char *what, licet_result rc, licet_error *error, licet_result code,
                         const char *needle) {
  const char *message = licet_error_message(error);
  bool ok = rc == code && error != NULL && licet_error_code(error) == code && message != NULL &&
            strstr(message, needle) != NULL;
  if (!ok) {
    printf("FAIL %s: expected %s with a message containing \"%s\"; got %s: %s\n", what,
           licet_result_name(code), needle, licet_result_name(rc),
           message != NULL ? message : "(no error)");
    failed++;
  } else {
    printf("ok   %s: %s: %s\n", what, licet_result_name(rc), message);
    passed++;
  }
  licet_error_free(error);
}

static void path(char *buf, size_t size, const char *base, const char *name) {
  snprintf(buf, size, "%s/%s", base, name);
}

static void write_file(const char *file, const char *text) {
  FILE *f = fopen(file, "wb");
  if (f == NULL) {
    perror(file);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
}

static void null_arguments(void) {
  licet_keys *keys = licet_keys_new();
  licet_report *report = (licet_report *)&report; /* not NULL: the call must reset it */
  licet_error *error = NULL;
  licet_result rc = licet_verify(NULL, (const uint8_t *)"x", 1, NULL, &report, &error);
  expect_error("licet_verify(keys NULL)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "the argument `keys` is NULL");
  expect(report == NULL, "out is NULL after a failure");

  error = NULL;
  rc = licet_verify(keys, NULL, 5, NULL, &report, &error);
  expect_error("licet_verify(license NULL, len 5)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "`license` is NULL");
  error = NULL;
  rc = licet_verify(keys, (const uint8_t *)"x", 1, NULL, NULL, &error);
  expect_error("licet_verify(out NULL)", rc, error, LICET_ERR_NULL_ARGUMENT, "`out` is NULL");
  rc = licet_verify(keys, (const uint8_t *)"x", 1, NULL, NULL, NULL);
  expect(rc == LICET_ERR_NULL_ARGUMENT, "error NULL: the code alone");

  error = NULL;
  rc = licet_check(keys, (const uint8_t *)"x", 1, NULL, 3, NULL, &report, &error);
  expect_error("licet_check(lists NULL, 3)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "`lists` is NULL");
  licet_list_input lists[2] = {{"a.jwt", (const uint8_t *)"", 0}, {NULL, NULL, 0}};
  error = NULL;
  rc = licet_check(keys, (const uint8_t *)"x", 1, lists, 2, NULL, &report, &error);
  expect_error("licet_check(lists[1].source NULL)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "`lists[1].source` is NULL");
  error = NULL;
  rc = licet_keys_add_file(NULL, "k.pem", NULL, &error);
  expect_error("licet_keys_add_file(keys NULL)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "`keys` is NULL");
  error = NULL;
  rc = licet_guard_check(NULL, (const uint8_t *)"x", 1, NULL, 0, NULL, &report, &error);
  expect_error("licet_guard_check(guard NULL)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "`guard` is NULL");
  error = NULL;
  rc = licet_options_set_time(NULL, 0, &error);
  expect_error("licet_options_set_time(options NULL)", rc, error, LICET_ERR_NULL_ARGUMENT,
               "`options` is NULL");
  error = NULL;
  rc = licet_machine_id(NULL, &error);
  expect_error("licet_machine_id(out NULL)", rc, error, LICET_ERR_NULL_ARGUMENT, "`out` is NULL");

  /* Getters and frees take NULL quietly. */
  expect(licet_report_status(NULL) == LICET_STATUS_UNKNOWN, "status of NULL is UNKNOWN");
  expect(licet_report_reason(NULL) == NULL && !licet_report_valid(NULL) &&
             licet_report_list_count(NULL) == 0 && licet_keys_count(NULL) == 0 &&
             licet_error_message(NULL) == NULL,
         "getters of NULL give NULL, false, 0");
  licet_keys_free(NULL);
  licet_options_free(NULL);
  licet_guard_free(NULL);
  licet_report_free(NULL);
  licet_error_free(NULL);
  licet_string_free(NULL);
  licet_keys_free(keys);
}

static void key_errors(void) {
  char file[4096];
  licet_keys *keys = licet_keys_new();
  licet_error *error = NULL;
  size_t added = 99;

  path(file, sizeof file, scratch, "not-a-key.pem");
  write_file(file, "hello, I am not a key\n");
  licet_result rc = licet_keys_add_file(keys, file, &added, &error);
  expect_error("a key file that is not a key", rc, error, LICET_ERR_KEY, "not-a-key.pem");
  expect(added == 99 && licet_keys_count(keys) == 0, "nothing added after a failure");

  path(file, sizeof file, root, "keys/demo-ed25519.key.pem");
  error = NULL;
  rc = licet_keys_add_file(keys, file, NULL, &error);
  expect_error("a private key given as trusted key", rc, error, LICET_ERR_KEY, "private key");

  path(file, sizeof file, scratch, "missing.pem");
  error = NULL;
  rc = licet_keys_add_file(keys, file, NULL, &error);
  expect_error("a key file that does not exist", rc, error, LICET_ERR_IO, "missing.pem");

  error = NULL;
  rc = licet_keys_add_file(keys, scratch, NULL, &error);
  expect_error("a directory given as key file", rc, error, LICET_ERR_IO, "not a regular file");

  error = NULL;
  rc = licet_keys_add(keys, (const uint8_t *)"{\"kty\":\"OKP\"}", 13, NULL, &error);
  expect_error("a JWK without its key", rc, error, LICET_ERR_KEY, "JWK");

  /* On Unix a path is bytes: a file whose name is not UTF-8 loads. */
  char demo[4096], odd[4096];
  path(demo, sizeof demo, root, "keys/demo-ed25519.pub.pem");
  path(odd, sizeof odd, scratch, "caf\xe9.pub.pem");
  FILE *in = fopen(demo, "rb");
  FILE *out = fopen(odd, "wb");
  char buf[8192];
  size_t n = in != NULL ? fread(buf, 1, sizeof buf, in) : 0;
  if (out != NULL) fwrite(buf, 1, n, out);
  if (in != NULL) fclose(in);
  if (out != NULL) fclose(out);
  error = NULL;
  rc = licet_keys_add_file(keys, odd, &added, &error);
  expect(rc == LICET_OK && added == 1, "a key file whose name is not UTF-8 loads (Unix)");
  if (rc != LICET_OK) licet_error_free(error);
  path(odd, sizeof odd, scratch, "missing-\xff.pem");
  error = NULL;
  rc = licet_keys_add_file(keys, odd, NULL, &error);
  expect_error("a missing file whose name is not UTF-8", rc, error, LICET_ERR_IO,
               "missing-\xef\xbf\xbd.pem");
  licet_keys_free(keys);
}

static void option_errors(void) {
  licet_options *options = licet_options_new();
  licet_error *error = NULL;
  licet_result rc = licet_options_set_machine(options, "not-a-machine-id", &error);
  expect_error("a malformed machine id", rc, error, LICET_ERR_MACHINE_ID,
               "is not a machine id: expected 64 hexadecimal characters");
  error = NULL;
  rc = licet_options_set_machine(options, "\xff", &error);
  expect_error("a machine id that is not UTF-8", rc, error, LICET_ERR_INVALID_ARGUMENT,
               "`machine_id` is not UTF-8");
  error = NULL;
  rc = licet_options_set_product(options, "caf\xe9", &error);
  expect_error("a product that is not UTF-8", rc, error, LICET_ERR_INVALID_ARGUMENT,
               "`product` is not UTF-8");
  error = NULL;
  rc = licet_options_set_time(options, -5, &error);
  expect_error("a time before 1970", rc, error, LICET_ERR_INVALID_ARGUMENT, "evaluation time");
  char upper[80] = "  ";
  memset(upper + 2, 'A', 64);
  strcpy(upper + 66, "\n");
  expect(licet_options_set_machine(options, upper, NULL) == LICET_OK,
         "an upper-case machine id with whitespace is accepted");
  expect(licet_options_set_product(options, NULL, NULL) == LICET_OK, "product NULL: any");
  licet_options_free(options);
}

/* `*error` must hold NULL on entry: a failure writes a new error there without freeing what it
 * held, a success leaves it alone. The documented pattern (free, set back to NULL, call again)
 * leaks nothing and frees nothing twice (valgrind checks both). */
static void error_variable(void) {
  licet_options *options = licet_options_new();
  licet_error *error = NULL;
  licet_result rc = licet_options_set_time(options, -5, &error);
  licet_error *first = error;
  expect(rc == LICET_ERR_INVALID_ARGUMENT && first != NULL, "a failure writes a new error");
  rc = licet_options_set_time(options, 0, &error);
  expect(rc == LICET_OK && error == first, "a success leaves *error alone");
  licet_error_free(error);
  error = NULL;
  rc = licet_options_set_machine(options, "nope", &error);
  expect(rc == LICET_ERR_MACHINE_ID && error != NULL && licet_error_code(error) == rc,
         "after licet_error_free and error = NULL, the next failure writes its own error");
  licet_error_free(error);
  licet_options_free(options);
}

static void state_errors(void) {
  char key[4096], license_path[4096], dir[4096], file[4096];
  path(key, sizeof key, root, "keys/demo-ed25519.pub.pem");
  path(license_path, sizeof license_path, root, "crates/verifier/testdata/demo.lic");
  licet_keys *keys = licet_keys_new();
  licet_keys_add_file(keys, key, NULL, NULL);
  licet_guard *guard = (licet_guard *)&guard;
  licet_error *error = NULL;

  path(file, sizeof file, scratch, "a-file");
  write_file(file, "x");
  licet_result rc = licet_guard_open(file, keys, 3600, 100, &guard, &error);
  expect_error("a state directory that is a file", rc, error, LICET_ERR_IO,
               "a-file: it exists and is not a directory");
  expect(guard == NULL, "guard NULL after a failure");

  path(dir, sizeof dir, scratch, "corrupt");
  mkdir(dir, 0700);
  path(file, sizeof file, dir, "state.json");
  write_file(file, "{not json");
  error = NULL;
  rc = licet_guard_open(dir, keys, 3600, 100, &guard, &error);
  expect_error("a corrupt state", rc, error, LICET_ERR_STATE, "corrupt");

  path(dir, sizeof dir, scratch, "newer");
  mkdir(dir, 0700);
  path(file, sizeof file, dir, "state.json");
  write_file(file, "{\"version\": 99}");
  error = NULL;
  rc = licet_guard_open(dir, keys, 3600, 100, &guard, &error);
  expect_error("a state of a newer format", rc, error, LICET_ERR_STATE, "newer");

  path(dir, sizeof dir, scratch, "unwritable");
  mkdir(dir, 0500);
  if (geteuid() != 0) { /* root writes anyway */
    error = NULL;
    rc = licet_guard_open(dir, keys, 3600, 100, &guard, &error);
    if (rc == LICET_OK) {
      licet_report *report = NULL;
      rc = licet_guard_check(guard, (const uint8_t *)"x", 1, NULL, 0, NULL, &report, &error);
      licet_report_free(report);
      licet_guard_free(guard);
    }
    expect_error("a state directory without write permission", rc, error, LICET_ERR_IO,
                 "unwritable");
  }

  /* Busy: another holder of the state's lock, past the guard's lock timeout. */
  path(dir, sizeof dir, scratch, "busy");
  error = NULL;
  rc = licet_guard_open(dir, keys, 3600, 200, &guard, &error);
  expect(rc == LICET_OK, "open a fresh state");
  path(file, sizeof file, dir, "state.lock");
  int fd = open(file, O_CREAT | O_WRONLY, 0600);
  expect(fd >= 0 && flock(fd, LOCK_EX) == 0, "hold the state's lock");
  licet_report *report = (licet_report *)&report;
  error = NULL;
  rc = licet_guard_check(guard, (const uint8_t *)"x", 1, NULL, 0, NULL, &report, &error);
  expect_error("a state locked by another check", rc, error, LICET_ERR_STATE_BUSY,
               "locked by another check");
  expect(report == NULL, "report NULL after a failure");
  close(fd);

  /* A "no" verdict is never an error: a forged license, a list that is not a list. */
  licet_list_input lists[1] = {{"garbage.jwt", (const uint8_t *)"garbage", 7}};
  error = NULL;
  rc = licet_guard_check(guard, (const uint8_t *)"not a license", 13, lists, 1, NULL, &report,
                         &error);
  expect(rc == LICET_OK && licet_report_status(report) == LICET_STATUS_MALFORMED &&
             licet_report_list_status(report, 0) == LICET_LIST_STATUS_MALFORMED &&
             strcmp(licet_report_list_source(report, 0), "garbage.jwt") == 0 &&
             !licet_report_passed(report) && licet_report_claims_json(report) == NULL,
         "a malformed license and list are a report, not an error");
  licet_report_free(report);
  lists[0].source = "caf\xe9.jwt";
  error = NULL;
  rc = licet_guard_check(guard, (const uint8_t *)"x", 1, lists, 1, NULL, &report, &error);
  expect_error("a list source that is not UTF-8", rc, error, LICET_ERR_INVALID_ARGUMENT,
               "`lists[0].source` is not UTF-8");
  licet_guard_free(guard);
  licet_keys_free(keys);
}

static void names_and_versions(void) {
  expect(strcmp(licet_status_name(LICET_STATUS_CLOCK_ROLLBACK), "CLOCK_ROLLBACK") == 0,
         "status 12 is CLOCK_ROLLBACK");
  expect(strcmp(licet_status_name(4242), "UNKNOWN") == 0, "an unknown status number: UNKNOWN");
  expect(strcmp(licet_list_status_name(4242), "UNKNOWN") == 0, "an unknown list status: UNKNOWN");
  expect(strcmp(licet_result_name(LICET_ERR_STATE_BUSY), "LICET_ERR_STATE_BUSY") == 0 &&
             strcmp(licet_result_name(4242), "UNKNOWN") == 0,
         "result names");
  expect(licet_abi_version() >= LICET_ABI_VERSION, "the library's ABI is at least the header's");
  expect(strlen(licet_version()) > 0, "a version");
  char *id = NULL;
  licet_error *error = NULL;
  licet_result rc = licet_machine_id(&id, &error);
  if (rc == LICET_OK) {
    expect(strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64, "machine id: 64 hex");
    licet_string_free(id);
  } else {
    expect_error("no machine id here", rc, error, LICET_ERR_MACHINE_ID, "could not be read");
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: errors REPO_ROOT SCRATCH_DIR\n");
    return 2;
  }
  root = argv[1];
  scratch = argv[2];
  null_arguments();
  key_errors();
  option_errors();
  error_variable();
  state_errors();
  names_and_versions();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
