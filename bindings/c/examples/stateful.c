/* The stateful check with the C ABI: a state directory remembers the latest trustworthy time
 * (a clock set back gives CLOCK_ROLLBACK) and every revocation list accepted (a revocation sticks
 * when its list is later left out).
 *
 *   stateful STATE_DIR KEY.pub.pem LICENSE.lic UNIX_TIME|now [REVOCATIONS.jwt...]
 *
 * Exit 0 when the license is valid and every list given was accepted, 1 when not, 2 when the
 * state or an argument cannot be used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licet.h"

/* Reads a whole file (at most 1 MiB) into a new buffer. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  unsigned char *data = malloc(1 << 20);
  *len = data != NULL ? fread(data, 1, 1 << 20, f) : 0;
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: stateful STATE_DIR KEY.pub.pem LICENSE.lic UNIX_TIME|now [LIST...]\n");
    return 2;
  }
  int exit_code = 2;
  size_t n_lists = (size_t)(argc - 5);
  size_t license_len = 0;
  unsigned char *license = read_file(argv[3], &license_len);
  licet_list_input *lists = calloc(n_lists + 1, sizeof *lists);
  licet_keys *keys = licet_keys_new();
  licet_options *options = licet_options_new();
  licet_guard *guard = NULL;
  licet_report *report = NULL;
  licet_error *error = NULL;
  if (license == NULL || lists == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    goto done;
  }
  for (size_t i = 0; i < n_lists; i++) {
    lists[i].source = argv[5 + i];
    lists[i].data = read_file(argv[5 + i], &lists[i].len);
    if (lists[i].data == NULL) {
      fprintf(stderr, "cannot read %s\n", argv[5 + i]);
      goto done;
    }
  }
  if (licet_keys_add_file(keys, argv[2], NULL, &error) != LICET_OK) goto failed;
  if (strcmp(argv[4], "now") != 0 &&
      licet_options_set_time(options, strtoll(argv[4], NULL, 10), &error) != LICET_OK)
    goto failed;
  /* Clock tolerance 3600 s, wait at most 5 s for another check holding the state's lock. */
  if (licet_guard_open(argv[1], keys, 3600, 5000, &guard, &error) != LICET_OK) goto failed;
  /* Errors only when the state cannot be used; every verdict is in the report. */
  if (licet_guard_check(guard, license, license_len, lists, n_lists, options, &report, &error) !=
      LICET_OK)
    goto failed;

  printf("status: %s (%s)\n", licet_status_name(licet_report_status(report)),
         licet_report_reason(report));
  for (size_t i = 0; i < licet_report_list_count(report); i++) {
    printf("list %s: %s (%s)\n", licet_report_list_source(report, i),
           licet_list_status_name(licet_report_list_status(report, i)),
           licet_report_list_reason(report, i));
  }
  printf("lists enforced: %zu\n", licet_report_lists_enforced(report));
  exit_code = licet_report_passed(report) ? 0 : 1;
  goto done;

failed:
  fprintf(stderr, "error (%s): %s\n", licet_result_name(licet_error_code(error)),
          licet_error_message(error));
  licet_error_free(error);
done:
  licet_report_free(report);
  licet_guard_free(guard);
  licet_options_free(options);
  licet_keys_free(keys);
  for (size_t i = 0; lists != NULL && i < n_lists; i++) free((void *)lists[i].data);
  free(lists);
  free(license);
  return exit_code;
}
