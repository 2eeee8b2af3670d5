/* Verifies a license file with the C ABI.
 *
 *   verify KEY.pub.pem LICENSE.lic [UNIX_TIME]
 *
 * Exit 0 when the license is valid (ACTIVE or IN_GRACE), 1 when it is not, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "licet.h"

static unsigned char license[65536];

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: verify KEY.pub.pem LICENSE.lic [UNIX_TIME]\n");
    return 2;
  }
  FILE *f = fopen(argv[2], "rb");
  if (f == NULL) {
    perror(argv[2]);
    return 2;
  }
  size_t len = fread(license, 1, sizeof license, f);
  fclose(f);

  int exit_code = 2;
  licet_error *error = NULL;
  licet_report *report = NULL;
  licet_keys *keys = licet_keys_new();
  licet_options *options = licet_options_new();
  if (licet_keys_add_file(keys, argv[1], NULL, &error) != LICET_OK) goto failed;
  if (argc > 3 && licet_options_set_time(options, strtoll(argv[3], NULL, 10), &error) != LICET_OK)
    goto failed;
  /* A verdict is never an error: an expired or forged license gives a report. */
  if (licet_verify(keys, license, len, options, &report, &error) != LICET_OK) goto failed;

  printf("status:   %s\n", licet_status_name(licet_report_status(report)));
  printf("reason:   %s\n", licet_report_reason(report));
  if (licet_report_verified(report)) {
    int64_t expires = 0;
    printf("customer: %s\n", licet_report_customer_id(report));
    if (licet_report_expires_at(report, &expires)) {
      printf("expires:  %lld\n", (long long)expires);
    } else {
      printf("expires:  never\n");
    }
    printf("claims:   %s\n", licet_report_claims_json(report));
  }
  exit_code = licet_report_valid(report) ? 0 : 1;
  goto done;

failed:
  fprintf(stderr, "error: %s\n", licet_error_message(error));
  licet_error_free(error);
done:
  licet_report_free(report);
  licet_options_free(options);
  licet_keys_free(keys);
  return exit_code;
}
